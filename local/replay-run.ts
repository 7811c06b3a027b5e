/**
 * What `npm run replay` does (the command itself is `local/replay.ts`):
 * `npm run replay -- [event.json] [--message file.eml] [--policy file.json] [--out dir] [--json]
 *   [--simulate frozen|rejected|not-found|throttled|slow] [--bundle cdk.out] [--preview] [--aws]`
 *
 * Runs the real handler (lambda/handler.ts, with the production SDK clients and settings) on a
 * saved sync-rule event, against a local S3 server and the Message Flow emulator over HTTP, then
 * prints the answer and what changed, and writes the original and rewritten messages to files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { sdkMessageFlow } from '../lambda/aws/adapters';
import { createAwsClients } from '../lambda/aws/clients';
import { ENV } from '../lambda/env-names';
import { ConfigError } from '../lambda/errors';
import { bundledPolicy } from '../lambda/policy/bundled-policy';
import { PolicyError } from '../lambda/policy/load-policy';
import type { Policy } from '../lambda/policy/schema';
import { productionRule } from '../lambda/production';
import type { Repair } from '../lambda/rewrite';
import type { AuditResult, RuleResult } from '../lambda/rule/run-rule';
import type { WorkMailSyncResponse } from '../lambda/workmail';
import { invokeBundle, thrownResult } from './bundle-invocation';
import { deployedAccess } from './deployed-access';
import { findDeployedFunction, localEnvironment } from './deployed-function';
import { EVENTS_DIR, messagePathFor } from './events';
import { localContext, WORKMAIL_ANSWER_LIMIT_MS } from './lambda-context';
import {
  LOCAL_REGION,
  type LocalServices,
  sdkEnvironment,
  startLocalServices,
} from './local-services';
import { describeChanges, type MessageChanges } from './message-diff';
import { THROTTLING } from './message-flow-emulator';
import { readPolicyFile, UsageError } from './policy-file';
import { previewPage } from './preview';
import { readOnlyPorts } from './read-only-ports';
import type { FlowDirection } from './workmail-access';

/** Service behaviours `--simulate` can ask the emulator for. */
const SIMULATIONS: Record<string, (services: LocalServices, messageId: string) => void> = {
  frozen: (s) =>
    s.emulator.failNext('put', {
      kind: 'error',
      error: 'MessageFrozen',
      message: 'The message cannot be updated.',
    }),
  rejected: (s) =>
    s.emulator.failNext('put', {
      kind: 'error',
      error: 'MessageRejected',
      message: 'Invalid header Subject at line 3',
    }),
  'not-found': (s, messageId) => s.emulator.removeMessage(messageId),
  throttled: (s) => s.emulator.failNext('get', THROTTLING, 2),
  // 40 bytes every 100 ms: longer than the function's 12.5 s budget for any saved message.
  slow: (s) => s.emulator.failNext('get', { kind: 'slow', bytes: 40, everyMs: 100 }),
};

interface ReplayOptions {
  simulate?: string;
  eventPath: string;
  messagePath?: string;
  policyPath?: string;
  /** A synthesized cloud assembly whose bundle runs instead of the TypeScript sources. */
  bundleDir?: string;
  /** Also write an HTML page with both messages side by side. */
  preview: boolean;
  /** Read the message from real AWS (the user's credentials); change nothing there. */
  aws: boolean;
  outDir: string;
  json: boolean;
}

function parseOptions(argv: string[]): ReplayOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      message: { type: 'string' },
      policy: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      simulate: { type: 'string' },
      bundle: { type: 'string' },
      preview: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new UsageError('give at most one event file');
  if (values.aws && (values.bundle || values.simulate || values.message)) {
    throw new UsageError('--aws reads the message from AWS: no --bundle, --simulate or --message');
  }
  if (values.bundle && values.policy) {
    throw new UsageError('--policy cannot change a bundle: its policy was built into it');
  }
  if (values.simulate && !SIMULATIONS[values.simulate]) {
    throw new UsageError(`--simulate takes ${Object.keys(SIMULATIONS).join(', ')}`);
  }
  return {
    eventPath: positionals[0] ?? join(EVENTS_DIR, 'inbound.json'),
    messagePath: values.message,
    policyPath: values.policy,
    outDir: values.out ?? 'replay-out',
    json: values.json ?? false,
    preview: values.preview ?? false,
    aws: values.aws ?? false,
    ...(values.simulate ? { simulate: values.simulate } : {}),
    ...(values.bundle ? { bundleDir: values.bundle } : {}),
  };
}

function readEvent(path: string): { payload: unknown; messageId: string } {
  if (!existsSync(path)) throw new UsageError(`event file ${path} does not exist`);
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`event file ${path} is not JSON: ${(error as Error).message}`);
  }
  const messageId = (payload as { messageId?: unknown } | null)?.messageId;
  if (typeof messageId !== 'string' || !messageId) {
    throw new UsageError(`event file ${path} has no messageId`);
  }
  return { payload, messageId };
}

function flowDirection(payload: unknown): FlowDirection {
  return (payload as { flowDirection?: unknown }).flowDirection === 'OUTBOUND'
    ? 'OUTBOUND'
    : 'INBOUND';
}

function readMessage(path: string): Buffer {
  if (!existsSync(path)) {
    throw new UsageError(`message file ${path} does not exist (give one with --message)`);
  }
  return readFileSync(path);
}

function describeActions(response: WorkMailSyncResponse): string[] {
  return response.actions.map(({ action, recipients, allRecipients }) => {
    const whom = [allRecipients ? 'all recipients' : '', ...(recipients ?? [])].filter(Boolean);
    const bounce = action.parameters?.bounceMessage
      ? ` (bounce message: ${action.parameters.bounceMessage})`
      : '';
    return `  ${action.type} for ${whom.join(', ') || 'no one'}${bounce}`;
  });
}

/**
 * Writes what a run made of the message (`<prefix><name>.eml`) and, with `--preview`, the page
 * that shows it beside the original (`<prefix>preview.html`, even when nothing was made).
 */
async function writeResult(
  options: ReplayOptions,
  prefix: string,
  original: Buffer,
  message: Buffer | undefined,
  name: string,
): Promise<{ files: { rewritten?: string; preview?: string }; changes?: MessageChanges }> {
  const files: { rewritten?: string; preview?: string } = {};
  let changes: MessageChanges | undefined;
  if (message) {
    files.rewritten = join(options.outDir, `${prefix}${name}.eml`);
    writeFileSync(files.rewritten, message);
    changes = await describeChanges(original, message);
  }
  if (options.preview) {
    files.preview = join(options.outDir, `${prefix}preview.html`);
    writeFileSync(files.preview, await previewPage(original, message, changes?.headers ?? []));
  }
  return { files, ...(changes ? { changes } : {}) };
}

/** The audit-only rules' result, in the same terms as the real one. */
function describeAudit(
  audit: NonNullable<ReplaySummary['audit']>,
  response: WorkMailSyncResponse,
): string[] {
  return [
    '',
    'Audit-only rules (not applied; the function logs this):',
    `Rules that would apply: ${audit.rules.join('; ')}`,
    'Actions it would answer:',
    ...describeActions(response),
    `Outcome: ${audit.outcome}${audit.reason ? ` (${audit.reason})` : ''}`,
    ...(audit.changes ? describeMessageChanges(audit.changes) : []),
    ...(audit.files.rewritten ? [`Would be:  ${audit.files.rewritten}`] : []),
    ...(audit.files.preview ? [`Preview:   ${audit.files.preview}`] : []),
  ];
}

function describeMessageChanges(changes: MessageChanges): string[] {
  const lines = ['Headers:'];
  for (const header of changes.headers) {
    if (header.change === 'added') lines.push(`  + ${header.name}: ${header.after}`);
    if (header.change === 'removed') lines.push(`  - ${header.name}: ${header.before}`);
    if (header.change === 'changed')
      lines.push(`  ~ ${header.name}: ${header.before}  ->  ${header.after}`);
  }
  if (!changes.headers.length) lines.push('  (none changed)');
  lines.push('Parts:');
  for (const part of changes.changedParts) {
    lines.push(
      `  ~ ${part.part} ${part.contentType}: ${part.bytesBefore} -> ${part.bytesAfter} bytes`,
    );
  }
  lines.push(`  ${changes.unchangedParts} part(s) byte-identical`);
  lines.push(`Size: ${changes.bytesBefore} -> ${changes.bytesAfter} bytes`);
  return lines;
}

/** What `--json` prints: the answer, how it ended, and the files written. */
interface ReplaySummary {
  actions: WorkMailSyncResponse['actions'];
  outcome: { kind: 'rewritten' | 'unchanged' | 'failed'; detail: string; reason?: string };
  rules: string[];
  /** What was repaired before the rewrite went through. */
  repairs?: Repair[];
  timeMs: number;
  files: { original: string; rewritten?: string; preview?: string };
  /** Why WorkMail could not read the rewritten message (`--bundle`: the stack's bucket policy). */
  accessDenial?: string;
  /** What WorkMail's access could not be verified for (`--bundle`). */
  accessNotes?: string[];
  changes?: MessageChanges;
  /** What the policy's audit-only rules would have done, had they been live. */
  audit?: {
    outcome: AuditResult['outcome'];
    rules: string[];
    actions: WorkMailSyncResponse['actions'];
    reason?: string;
    changes?: MessageChanges;
    files: { rewritten?: string; preview?: string };
  };
}

/** Keeps what audit-only rules would have written, as the function's audit sink. */
function auditCapture() {
  const chunks: Buffer[] = [];
  return {
    sink: async (message: NodeJS.ReadableStream) => {
      for await (const chunk of message) chunks.push(Buffer.from(chunk));
    },
    message: () => (chunks.length ? Buffer.concat(chunks) : undefined),
  };
}

function outcomeKind(result: RuleResult): ReplaySummary['outcome']['kind'] {
  if (result.outcome === 'rewritten' || result.outcome === 'wrapped-by-fallback')
    return 'rewritten';
  if (
    result.outcome === 'bounced-by-fallback' ||
    result.outcome === 'junked-by-fallback' ||
    result.outcome === 'delivered-unchanged-after-failure'
  )
    return 'failed';
  return 'unchanged';
}

/** Where a bundle whose stack keeps originals keeps them, locally. */
const LOCAL_ORIGINALS_BUCKET = 'workmail-originals-local';

/**
 * The deployable artifact: the bundle `cdk synth` wrote, in a child process with the environment
 * the stack gives the function (the bucket resolved to the local one), plus what Lambda adds.
 */
async function runBundle(assemblyDir: string, services: LocalServices, payload: unknown) {
  const deployed = findDeployedFunction(assemblyDir);
  const buckets = {
    [ENV.bucket]: services.bucket,
    [ENV.originalBucket]: LOCAL_ORIGINALS_BUCKET,
  };
  // WorkMail reads the rewritten message under the stack's bucket policy, not with full access.
  services.emulator.enforceAccess(deployedAccess(deployed, buckets, LOCAL_REGION));
  if (ENV.originalBucket in deployed.environment) {
    await services.clients.s3.send(new CreateBucketCommand({ Bucket: LOCAL_ORIGINALS_BUCKET }));
  }
  const environment = {
    ...localEnvironment(deployed.environment, buckets),
    PATH: process.env.PATH ?? '',
    ...sdkEnvironment(services.overrides),
  };
  return invokeBundle(deployed, environment, payload, WORKMAIL_ANSWER_LIMIT_MS);
}

/** One replay's run: the rule's result, the message it read, and what it put (if it did). */
interface ReplayRun {
  result: RuleResult;
  original: Buffer;
  rewritten?: Buffer;
  /** The message as the audit-only rules would have made it. */
  audited?: Buffer;
  timeMs: number;
  /** Why WorkMail (the emulator) could not read the rewritten message under the bucket policy. */
  accessDenial?: string;
  /** What WorkMail's access could not be verified for (`--bundle`: a KMS key not in the template). */
  accessNotes?: string[];
}

/** Against the local S3 server and the Message Flow emulator, over HTTP. */
async function runLocally(
  options: ReplayOptions,
  payload: unknown,
  messageId: string,
  policy: Policy,
): Promise<ReplayRun> {
  const original = readMessage(options.messagePath ?? messagePathFor(messageId));
  const services = await startLocalServices();
  try {
    services.emulator.addMessage(messageId, original, flowDirection(payload));
    if (options.simulate) SIMULATIONS[options.simulate]?.(services, messageId);
    const started = Date.now();
    const audit = auditCapture();
    const result = options.bundleDir
      ? await runBundle(options.bundleDir, services, payload)
      : // The function's own wiring (lambda/handler.ts uses it too), here with the chosen policy.
        await productionRule({ ...process.env, [ENV.bucket]: services.bucket }, policy, {
          clients: services.overrides,
          adapt: (deps) => ({ ...deps, auditSink: audit.sink }),
        })
          .run(payload, localContext())
          .catch((error: Error) => thrownResult(error.name));
    const rewritten = services.emulator.updates.at(-1)?.content;
    const audited = audit.message();
    const [accessDenial] = services.emulator.accessDenials;
    const { accessNotes } = services.emulator;
    return {
      result,
      original,
      timeMs: Date.now() - started,
      ...(accessDenial ? { accessDenial } : {}),
      ...(accessNotes.length ? { accessNotes } : {}),
      ...(rewritten ? { rewritten } : {}),
      ...(audited ? { audited } : {}),
    };
  } finally {
    await services.close();
  }
}

/**
 * Against real AWS, read-only: the user's credentials and region, a message under 24 hours old.
 * The real Get; the rewritten message stays on this machine and no Put is made.
 */
async function runAgainstAws(
  payload: unknown,
  messageId: string,
  policy: Policy,
): Promise<ReplayRun> {
  const readOnly = readOnlyPorts(sdkMessageFlow(createAwsClients().messageFlow));
  const audit = auditCapture();
  const rule = productionRule({ [ENV.bucket]: 'read-only-replay' }, policy, {
    adapt: (deps) => ({
      ...deps,
      messageFlow: readOnly.messageFlow,
      store: readOnly.store,
      auditSink: audit.sink,
    }),
  });
  const started = Date.now();
  const result = await rule
    .run(payload, localContext())
    .catch((error: Error) => thrownResult(error.name));
  const timeMs = Date.now() - started;
  const rewritten = readOnly.wouldPut();
  const original = await readOnly.original(messageId);
  const audited = audit.message();
  return {
    result,
    original,
    timeMs,
    ...(rewritten ? { rewritten } : {}),
    ...(audited ? { audited } : {}),
  };
}

async function replay(options: ReplayOptions, io: ReplayOutput): Promise<void> {
  const { payload, messageId } = readEvent(options.eventPath);
  const policy = options.policyPath ? readPolicyFile(options.policyPath) : bundledPolicy();
  const { result, original, rewritten, audited, timeMs, accessDenial, accessNotes } = options.aws
    ? await runAgainstAws(payload, messageId, policy)
    : await runLocally(options, payload, messageId, policy);
  const summary: ReplaySummary = {
    actions: result.response.actions,
    outcome: {
      kind: outcomeKind(result),
      detail: result.outcome,
      ...(result.reason ? { reason: result.reason } : {}),
    },
    rules: result.rules ?? [],
    ...(result.repairs?.length ? { repairs: result.repairs } : {}),
    timeMs,
    files: { original: join(options.outDir, `${messageId}.original.eml`) },
    ...(accessDenial ? { accessDenial } : {}),
    ...(accessNotes ? { accessNotes } : {}),
  };
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(summary.files.original, original);
  const written = await writeResult(options, `${messageId}.`, original, rewritten, 'rewritten');
  Object.assign(summary.files, written.files);
  if (written.changes) summary.changes = written.changes;
  if (result.audit) {
    summary.audit = {
      outcome: result.audit.outcome,
      rules: result.audit.rules,
      actions: result.audit.response.actions,
      ...(result.audit.reason ? { reason: result.audit.reason } : {}),
      // The audit has a message (and a preview) only when the audit rewrite ran to its end.
      ...(audited
        ? await writeResult(options, `${messageId}.audit.`, original, audited, 'audit')
        : { files: {} }),
    };
  }
  if (options.json) {
    io.out(`${JSON.stringify(summary)}\n`);
    return;
  }
  const put = options.aws
    ? ', PutRawMessageContent would be called (read-only: not made)'
    : ', PutRawMessageContent was called';
  const lines = [
    '',
    `Replayed ${relative(process.cwd(), options.eventPath) || basename(options.eventPath)} in ${summary.timeMs} ms${options.aws ? ' against AWS, read-only' : ''}`,
    `Rules that applied: ${summary.rules.length ? summary.rules.join('; ') : 'none'}`,
    'Actions:',
    ...describeActions(result.response),
    `Outcome: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}${rewritten ? put : ''}`,
    ...(summary.repairs ?? []).map((r) => `Repaired:  part ${r.part}: ${r.kind} (${r.detail})`),
    ...(accessDenial ? [`WorkMail could not read the rewritten message: ${accessDenial}`] : []),
    ...(accessNotes ?? []).map(
      (note) => `Note: ${note}; WorkMail's read of it is unverified (docs/deployment.md)`,
    ),
    ...(summary.changes ? describeMessageChanges(summary.changes) : []),
    `Original:  ${summary.files.original}`,
    ...(summary.files.rewritten ? [`Rewritten: ${summary.files.rewritten}`] : []),
    ...(summary.files.preview ? [`Preview:   ${summary.files.preview}`] : []),
    ...(summary.audit && result.audit ? describeAudit(summary.audit, result.audit.response) : []),
  ];
  io.out(`${lines.join('\n')}\n`);
}

/** Where replay writes its report and its one-line errors. */
export interface ReplayOutput {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Runs `npm run replay` with these arguments and gives its exit code. Bad arguments, a bad policy
 * or configuration end with one line on `err`, never a stack trace.
 */
export async function replayCommand(argv: string[], io: ReplayOutput): Promise<number> {
  // Inside the promise, so that a usage error in the arguments gets the same one-line report.
  return Promise.resolve()
    .then(() => replay(parseOptions(argv), io))
    .then(
      () => 0,
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const known =
          error instanceof UsageError ||
          error instanceof PolicyError ||
          error instanceof ConfigError;
        io.err(
          `${known ? `replay: ${message.split('\n').join(' ')}` : `replay failed: ${message}`}\n`,
        );
        return 1;
      },
    );
}
