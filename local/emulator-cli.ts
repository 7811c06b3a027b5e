/**
 * `npm run emulator -- [options]` (see `--help`)
 *
 * The Message Flow emulator and the local S3 server on their own, until stopped (Ctrl+C). Prints
 * the environment that points any AWS SDK or the AWS CLI at them, so that a rule written in
 * another language can be tried too. Messages are `<messageId>.eml` files (default `events/messages`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { type CliOption, type CommandSpec, parseCommandLine, runCommand, UsageError } from './cli';
import { EVENTS_DIR, FILE_SAFE_ID } from './events';
import { sdkEnvironment, startLocalServices } from './local-services';

const DEFAULT_MESSAGES = join(EVENTS_DIR, 'messages');

const SPEC = {
  name: 'emulator',
  description: [
    'Serves <messageId>.eml files over the WorkMail Message Flow API, with a local S3 server,',
    'until stopped (Ctrl+C), and prints the environment that points the AWS CLI or any AWS SDK',
    'at them. The emulator applies the content rules WorkMail applies to PutRawMessageContent.',
  ].join('\n'),
  options: {
    port: {
      type: 'string',
      value: '<n>',
      help: 'Port of the emulator; S3 gets the next one (default: two free ports)',
    },
    messages: {
      type: 'string',
      value: '<folder>',
      help: 'Folder of <messageId>.eml files, ids of 1-120 letters, digits, . _ - (default: events/messages)',
    },
    json: {
      type: 'boolean',
      default: false,
      help: 'Print endpoints, bucket, messages and environment as one JSON object on stdout',
    },
  },
  examples: [
    'npm run emulator',
    'npm run emulator -- --port 4010 --messages ~/saved-mail',
    'aws workmailmessageflow get-raw-message-content --message-id 4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5d out.eml  # after the printed exports',
  ],
} as const satisfies CommandSpec<Record<string, CliOption>>;

/** The port, or 0 for a free one; the next port (S3) must exist too. */
function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || port < 1 || port > 65534) {
    throw new UsageError(`--port must be a number from 1 to 65534, got ${JSON.stringify(text)}`);
  }
  return port;
}

/**
 * Fails with a usage error when a port is taken. Checked before starting, because the local S3
 * server reports a taken port only as an unhandled error event.
 */
async function assertFree(...ports: number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', () =>
        reject(new UsageError(`port ${port} is in use: choose another with --port`)),
      );
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  }
}

/** The folder's messages by id, read before any server starts; a file that is no id is skipped. */
function readMessages(folder: string): Map<string, Buffer> {
  let names: string[];
  try {
    if (!statSync(folder).isDirectory())
      throw new UsageError(`--messages ${folder} is not a folder`);
    names = readdirSync(folder);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--messages ${folder} does not exist`);
  }
  const messages = new Map<string, Buffer>();
  for (const name of names.filter((n) => n.endsWith('.eml')).sort()) {
    const messageId = basename(name, '.eml');
    if (!FILE_SAFE_ID.test(messageId)) {
      process.stderr.write(
        `emulator: skipped ${name}: a message id here is 1-120 letters, digits, . _ - (not first)\n`,
      );
      continue;
    }
    messages.set(messageId, readFileSync(join(folder, name)));
  }
  return messages;
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(SPEC, argv);
  if (!parsed) return;
  const { values } = parsed;
  const port = portOf(values.port);
  const messages = readMessages(values.messages ?? DEFAULT_MESSAGES);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (port) await assertFree(port, port + 1);
  const services = await startLocalServices({ emulatorPort: port, s3Port: port ? port + 1 : 0 });
  for (const [messageId, content] of messages) services.emulator.addMessage(messageId, content);
  const { overrides } = services;
  const environment = sdkEnvironment(overrides);
  if (values.json) {
    const summary = {
      messageFlowEndpoint: overrides.messageFlowEndpoint,
      s3Endpoint: overrides.s3Endpoint,
      bucket: services.bucket,
      messages: [...messages.keys()],
      environment,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.stderr.write('emulator: running; stop it with Ctrl+C\n');
  } else {
    console.log(
      [
        `Message Flow emulator: ${overrides.messageFlowEndpoint}`,
        `S3 (s3rver): ${overrides.s3Endpoint}, bucket ${services.bucket}`,
        `Messages: ${[...messages.keys()].join(', ') || '(none)'}`,
        '',
        'Point an AWS SDK or the AWS CLI at them with:',
        ...Object.entries(environment).map(([name, value]) => `export ${name}=${value}`),
        '',
        'Press Ctrl+C to stop.',
      ].join('\n'),
    );
  }
  const stop = () => void services.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

runCommand('emulator', () => main(process.argv.slice(2)));
