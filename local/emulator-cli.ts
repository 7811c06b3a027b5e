/**
 * `npm run emulator -- [--port <n>] [--messages <dir>]`
 *
 * The Message Flow emulator and the local S3 server on their own, until stopped (Ctrl+C). Prints
 * the environment that points any AWS SDK or the AWS CLI at them, so that a rule written in
 * another language can be tried too. Messages are `<messageId>.eml` files (default `events/messages`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { EVENTS_DIR } from './events';
import { sdkEnvironment, startLocalServices } from './local-services';

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { port: { type: 'string' }, messages: { type: 'string' } },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65534)
    throw new Error('--port must be a port number');
  const dir = values.messages ?? join(EVENTS_DIR, 'messages');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const services = await startLocalServices({ emulatorPort: port, s3Port: port ? port + 1 : 0 });
  const ids = readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => {
      const messageId = basename(name, '.eml');
      services.emulator.addMessage(messageId, readFileSync(join(dir, name)));
      return messageId;
    });
  const { overrides } = services;
  console.log(
    [
      `Message Flow emulator: ${overrides.messageFlowEndpoint}`,
      `S3 (s3rver): ${overrides.s3Endpoint}, bucket ${services.bucket}`,
      `Messages: ${ids.join(', ') || '(none)'}`,
      '',
      'Point an AWS SDK or the AWS CLI at them with:',
      ...Object.entries(sdkEnvironment(overrides)).map(
        ([name, value]) => `export ${name}=${value}`,
      ),
      '',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
  const stop = () => void services.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`emulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
