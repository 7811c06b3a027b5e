/**
 * What `npm run replay` does (the command itself is `local/replay.ts`; options: `--help`).
 *
 * Runs the real handler (lambda/handler.ts, with the production SDK clients and settings) on a
 * saved sync-rule event, against a local S3 server and the Message Flow emulator over HTTP, then
 * prints the answer, why each rule applied or not and what changed and why, and writes the original
 * and rewritten messages to files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { sdkMessageFlow } from '../lambda/aws/adapters';
import { createAwsClients } from '../lambda/aws/clients';
import { ENV } from '../lambda/env-names';
import { bundledPolicy, POLICY_PATH } from '../lambda/policy/bundled-policy';
import type { Policy } from '../lambda/policy/schema';
import { productionRule } from '../lambda/production';
import { type Repair, startRewrite, type TopHeaders } from '../lambda/rewrite';
import type { AuditResult, RuleResult } from '../lambda/rule/run-rule';
import {
  parseWorkMailEvent,
  type WorkMailRunLambdaEvent,
  type WorkMailSyncResponse,
} from '../lambda/workmail';
import { invokeBundle, thrownResult } from './bundle-invocation';
import {
  type CliOption,
  type CommandSpec,
  failureReport,
  InputRefusedError,
  parseCommandLine,
  UsageError,
} from './cli';
import { deployedAccess } from './deployed-access';
import { findDeployedFunction, localEnvironment } from './deployed-function';
import { EVENTS_DIR, FILE_SAFE_ID, messagePathFor } from './events';
import { explainRun, explanationLines, type RunExplanation } from './explain';
import { localContext, WORKMAIL_ANSWER_LIMIT_MS } from './lambda-context';
import {
  LOCAL_REGION,
  type LocalServices,
  sdkEnvironment,
  startLocalServices,
} from './local-services';
import { describeChanges, type MessageChanges } from './message-diff';
import { THROTTLING } from './message-flow-emulator';
import { readPolicyFile } from './policy-file';
import { previewPage } from './preview';
import { putContentProblem } from './put-content-rules';
import { readOnlyPorts } from './read-only-ports';
import { screenshotPage } from './screenshot';
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

const SPEC = {
  name: 'replay',
  description: [
    'Runs the real handler on a saved WorkMail sync-rule event, against a local S3 server and the',
    'Message Flow emulator (or, with --aws, reads the message from AWS, read-only). Prints the',
    'answer, why each policy rule applied or not, what changed in each part and why, and writes',
    'the original and rewritten messages to the out folder. Log and metric lines go to stderr.',
  ].join('\n'),
  positionals: '[event.json]',
  options: {
    message: {
      type: 'string',
      value: '<file>',
      help: 'The message (default: events/messages/<messageId>.eml)',
    },
    policy: { type: 'string', value: '<file>', help: `Policy file (default: ${POLICY_PATH})` },
    out: { type: 'string', value: '<folder>', default: 'replay-out', help: 'Where the files go' },
    json: { type: 'boolean', default: false, help: 'Print one JSON object on stdout' },
    simulate: {
      type: 'string',
      value: Object.keys(SIMULATIONS).join('|'),
      help: 'Make the emulator behave like WorkMail in a bad moment',
    },
    bundle: {
      type: 'string',
      value: '<cdk.out>',
      help: 'Run the bundle npm run synth wrote, with the stack’s environment, not the sources',
    },
    preview: {
      type: 'boolean',
      default: false,
      help: 'Also write an HTML page: both messages side by side, with the explanation',
    },
    screenshot: {
      type: 'boolean',
      default: false,
      help: 'Also write a PNG of that page, rendered in headless Chromium (implies --preview)',
    },
    aws: {
      type: 'boolean',
      default: false,
      help: 'Read the message from the real Message Flow API (your region and credentials); put nothing',
    },
  },
  examples: [
    'npm run replay                                      # events/inbound.json',
    'npm run replay -- events/inbound-internal.json      # why nothing changes',
    'npm run replay -- my-event.json --message my.eml --policy ../mail-policy/company.json --preview',
    'npm run replay -- --simulate rejected',
    'npm run -s replay -- --json > result.json',
    'npm run synth && npm run replay -- --bundle cdk.out',
    'AWS_REGION=eu-west-1 npm run replay -- my-event.json --aws',
  ],
} as const satisfies CommandSpec<Record<string, CliOption>>;

interface ReplayOptions {
  simulate?: string;
  eventPath: string;
  messagePath?: string;
  policyPath?: string;
  /** A synthesized cloud assembly whose bundle runs instead of the TypeScript sources. */
  bundleDir?: string;
  /** Also write an HTML page with both messages side by side. */
  preview: boolean;
  /** Also write a PNG of the preview page. */
  screenshot: boolean;
  /** Read the message from real AWS (the user's credentials); change nothing there. */
  aws: boolean;
  outDir: string;
  json: boolean;
}

function parseOptions(argv: string[], io: ReplayOutput): ReplayOptions | undefined {
  const parsed = parseCommandLine(SPEC, argv, io.out);
  if (!parsed) return undefined;
  const { values, positionals } = parsed;
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
    outDir: values.out,
    json: values.json,
    preview: values.preview || values.screenshot,
    screenshot: values.screenshot,
    aws: values.aws,
    ...(values.simulate ? { simulate: values.simulate } : {}),
    ...(values.bundle ? { bundleDir: values.bundle } : {}),
  };
}

/**
 * The event, validated as the function validates it, before anything is written: its messageId
 * names files in the out folder, so one that is not an id (`../x`) is refused here.
 */
function readEvent(path: string): { payload: unknown; event: WorkMailRunLambdaEvent } {
  if (!existsSync(path)) throw new UsageError(`event file ${path} does not exist`);
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputRefusedError(`event file ${path} is not JSON: ${(error as Error).message}`);
  }
  let event: WorkMailRunLambdaEvent;
  try {
    event = parseWorkMailEvent(payload);
  } catch (error) {
    throw new InputRefusedError(
      `event file ${path} is not a WorkMail event: ${(error as Error).message}`,
    );
  }
  if (!FILE_SAFE_ID.test(event.messageId)) {
    throw new InputRefusedError(
      `event file ${path}: messageId ${JSON.stringify(event.messageId)} cannot name a file (letters, digits, . _ - only, not first)`,
    );
  }
  return { payload, event };
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

/** The files one run writes besides the original. */
interface WrittenFiles {
  rewritten?: string;
  preview?: string;
  screenshot?: string;
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
  explanation?: RunExplanation,
): Promise<{ files: WrittenFiles; changes?: MessageChanges }> {
  const files: WrittenFiles = {};
  let changes: MessageChanges | undefined;
  if (message) {
    files.rewritten = join(options.outDir, `${prefix}${name}.eml`);
    writeFileSync(files.rewritten, message);
    changes = await describeChanges(original, message);
  }
  if (options.preview) {
    files.preview = join(options.outDir, `${prefix}preview.html`);
    writeFileSync(
      files.preview,
      await previewPage(original, message, changes?.headers ?? [], explanation),
    );
  }
  if (options.screenshot && files.preview) {
    files.screenshot = join(options.outDir, `${prefix}preview.png`);
    await screenshotPage(files.preview, files.screenshot);
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
    ...(audit.files.screenshot ? [`Screenshot: ${audit.files.screenshot}`] : []),
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
  files: { original: string } & WrittenFiles;
  /** Why WorkMail could not read the rewritten message (`--bundle`: the stack's bucket policy). */
  accessDenial?: string;
  /** What WorkMail's access could not be verified for (`--bundle`). */
  accessNotes?: string[];
  changes?: MessageChanges;
  /** Why each rule applied or not, what changed and why (absent with --bundle). */
  explanation?: RunExplanation;
  /** What the policy's audit-only rules would have done, had they been live. */
  audit?: {
    outcome: AuditResult['outcome'];
    rules: string[];
    actions: WorkMailSyncResponse['actions'];
    reason?: string;
    changes?: MessageChanges;
    files: WrittenFiles;
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
  /** Why WorkMail (the emulator's model of it) refused the rewritten message. */
  refusal?: string;
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
    const refusal = services.emulator.refusals.at(-1)?.reason;
    const [accessDenial] = services.emulator.accessDenials;
    const { accessNotes } = services.emulator;
    return {
      result,
      original,
      timeMs: Date.now() - started,
      ...(refusal ? { refusal } : {}),
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
  const { messageFlow } = createAwsClients();
  // A missing region or credentials fail here, with a hint, not as a failed Get inside the rule.
  await messageFlow.config.region();
  await messageFlow.config.credentials();
  const readOnly = readOnlyPorts(sdkMessageFlow(messageFlow));
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
  // No Put is made: the emulator's content rules say whether WorkMail would take the message.
  const refusal = rewritten && (await putContentProblem(rewritten));
  return {
    result,
    original,
    timeMs,
    ...(refusal ? { refusal } : {}),
    ...(rewritten ? { rewritten } : {}),
    ...(audited ? { audited } : {}),
  };
}

/**
 * The original's top-level headers as the engine reads them (undefined when it cannot), for the
 * explanation: the same reading the function's decision was made on.
 */
async function headersOf(message: Buffer, policy: Policy): Promise<TopHeaders | undefined> {
  const rewrite = startRewrite(Readable.from([message]), {
    marker: { header: policy.markerHeader, value: 'replay-explanation' },
  });
  const head = await rewrite.head.catch(() => undefined);
  rewrite.apply({});
  rewrite.output.resume();
  await rewrite.done.catch(() => undefined);
  return head?.headers;
}

async function replay(options: ReplayOptions, io: ReplayOutput): Promise<void> {
  const { payload, event } = readEvent(options.eventPath);
  const { messageId } = event;
  const policy = options.policyPath ? readPolicyFile(options.policyPath) : bundledPolicy();
  const { result, original, rewritten, audited, refusal, timeMs, accessDenial, accessNotes } =
    options.aws
      ? await runAgainstAws(payload, messageId, policy)
      : await runLocally(options, payload, messageId, policy);
  // A bundle carries its own policy, which may not be this one: no explanation then.
  const explanation = options.bundleDir
    ? undefined
    : await explainRun({
        policy,
        event,
        original,
        headers: await headersOf(original, policy),
        ...(rewritten ? { rewritten } : {}),
        ...(result.report ? { report: result.report } : {}),
        ...(refusal ? { refusal } : {}),
      });
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
  const written = await writeResult(
    options,
    `${messageId}.`,
    original,
    rewritten,
    'rewritten',
    explanation,
  );
  Object.assign(summary.files, written.files);
  if (written.changes) summary.changes = written.changes;
  if (explanation) summary.explanation = explanation;
  if (result.audit) {
    summary.audit = {
      outcome: result.audit.outcome,
      rules: result.audit.rules,
      actions: result.audit.response.actions,
      ...(result.audit.reason ? { reason: result.audit.reason } : {}),
      // The audit has a message (and a preview) only when the audit rewrite ran to its end.
      ...(audited && result.audit.outcome !== 'audit-would-fall-back'
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
    ...(explanation ? explanationLines(explanation) : []),
    `Original:  ${summary.files.original}`,
    ...(summary.files.rewritten ? [`Rewritten: ${summary.files.rewritten}`] : []),
    ...(summary.files.preview ? [`Preview:   ${summary.files.preview}`] : []),
    ...(summary.files.screenshot ? [`Screenshot: ${summary.files.screenshot}`] : []),
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
 * Runs `npm run replay` with these arguments and gives its exit code (0 done, 1 input refused or
 * failed, 2 usage error). Every failure ends with one line on `err`, never a stack trace.
 */
export async function replayCommand(argv: string[], io: ReplayOutput): Promise<number> {
  // Inside the promise, so that a usage error in the arguments gets the same one-line report.
  return Promise.resolve()
    .then(async () => {
      const options = parseOptions(argv, io);
      if (options) await replay(options, io);
    })
    .then(
      () => 0,
      (error: unknown) => {
        const { code, line } = failureReport('replay', error);
        io.err(`${line}\n`);
        return code;
      },
    );
}
