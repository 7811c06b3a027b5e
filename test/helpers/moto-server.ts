import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto's S3 (`moto_server`, Python): unlike s3rver it enforces `If-None-Match: *` and returns
 * version id `null` from unversioned buckets. It is on the development image, not on every
 * machine: tests that need it skip with a notice where it is missing.
 */
export const MOTO_AVAILABLE =
  spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;

/** `describe`, or `describe.skip` with a notice when moto_server is not installed. */
export function describeWithMoto(name: string, body: () => void): void {
  if (MOTO_AVAILABLE) {
    describe(name, body);
    return;
  }
  console.warn(`moto_server is not installed: skipping "${name}" (pip install "moto[server]")`);
  // biome-ignore lint/suspicious/noSkippedTests: skipped only where moto_server is not installed
  describe.skip(name, body);
}

export interface MotoServer {
  endpoint: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Starts moto_server on a free port of 127.0.0.1 and waits until it answers (at most 30 s). */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  };
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    const answered = await fetch(`${endpoint}/moto-api/`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return { endpoint, close };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await close();
  throw new Error('moto_server did not answer within 30 s');
}
