/**
 * The Message Flow emulator and s3rver in a process of their own, so that the handler's memory
 * figures are its own. Preloads one message per size given in argv; prints the endpoints as one
 * JSON line; stops when its standard input closes.
 */
import { startLocalServices } from '../local/local-services';
import { benchMessage } from './message';

async function main() {
  const sizes = JSON.parse(process.argv[2] ?? '[]') as number[];
  const services = await startLocalServices({ keepOriginals: true });
  for (const size of sizes) services.emulator.addMessage(`bench-${size}`, benchMessage(size));
  process.stdout.write(
    `${JSON.stringify({ overrides: services.overrides, bucket: services.bucket })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => void services.close().then(() => process.exit(0)));
}

void main();
