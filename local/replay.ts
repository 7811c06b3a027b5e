/**
 * `npm run replay -- [event.json] [--message file.eml] [--out dir]`
 *
 * Runs the real handler (lambda/handler.ts, with the production SDK clients and settings) on a
 * saved sync-rule event, against a local S3 server and the Message Flow emulator over HTTP, then
 * prints the answer and what changed, and writes the original and rewritten messages to files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV } from '../lambda/env-names';
import type { WorkMailSyncResponse } from '../lambda/workmail';
import { EVENTS_DIR, messagePathFor } from './events';
import { localContext } from './lambda-context';
import { type LocalServices, startLocalServices } from './local-services';
import { describeChanges, type MessageChanges } from './message-diff';

class UsageError extends Error {}

interface ReplayOptions {
  eventPath: string;
  messagePath?: string;
  outDir: string;
}

function parseOptions(argv: string[]): ReplayOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { message: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError('give at most one event file');
  return {
    eventPath: positionals[0] ?? join(EVENTS_DIR, 'inbound.json'),
    messagePath: values.message,
    outDir: values.out ?? 'replay-out',
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

function readMessage(path: string): Buffer {
  if (!existsSync(path)) {
    throw new UsageError(`message file ${path} does not exist (give one with --message)`);
  }
  return readFileSync(path);
}

/** Points the SDK's environment-driven settings and the function's config at the local servers. */
function useLocalServices(services: LocalServices): void {
  const { overrides } = services;
  Object.assign(process.env, {
    [ENV.bucket]: services.bucket,
    AWS_REGION: overrides.region,
    AWS_ACCESS_KEY_ID: overrides.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: overrides.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: overrides.s3Endpoint,
    AWS_ENDPOINT_URL_WORKMAILMESSAGEFLOW: overrides.messageFlowEndpoint,
  });
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

async function replay(options: ReplayOptions): Promise<void> {
  // Lambda runs Node 22 or 24; this notice only concerns the Node 20 used locally.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { payload, messageId } = readEvent(options.eventPath);
  const original = readMessage(options.messagePath ?? messagePathFor(messageId));
  const services = await startLocalServices();
  try {
    services.emulator.addMessage(messageId, original);
    useLocalServices(services);
    // Required only now: the handler reads its configuration when it is loaded.
    const { handler } = require('../lambda/handler') as typeof import('../lambda/handler');
    const started = Date.now();
    const response = await handler(payload, localContext());
    const elapsed = Date.now() - started;

    mkdirSync(options.outDir, { recursive: true });
    const originalPath = join(options.outDir, `${messageId}.original.eml`);
    writeFileSync(originalPath, original);
    const lines = [
      '',
      `Replayed ${relative(process.cwd(), options.eventPath) || basename(options.eventPath)} in ${elapsed} ms`,
      'Actions:',
      ...describeActions(response),
    ];
    const update = services.emulator.updates.at(-1);
    if (update) {
      const rewrittenPath = join(options.outDir, `${messageId}.rewritten.eml`);
      writeFileSync(rewrittenPath, update.content);
      lines.push('Outcome: rewritten (PutRawMessageContent was called)');
      lines.push(...describeMessageChanges(await describeChanges(original, update.content)));
      lines.push(`Original:  ${originalPath}`, `Rewritten: ${rewrittenPath}`);
    } else {
      lines.push('Outcome: delivered unchanged (no PutRawMessageContent; see the log line above)');
      lines.push(`Original:  ${originalPath}`);
    }
    console.log(lines.join('\n'));
  } finally {
    await services.close();
  }
}

replay(parseOptions(process.argv.slice(2))).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof UsageError ? `replay: ${message}` : `replay failed: ${message}`);
  process.exitCode = 1;
});
