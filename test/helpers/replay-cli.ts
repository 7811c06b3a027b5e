import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs `npm run replay -- <args>` as a user would; never throws, gives the exit code. */
export async function replay(...args: string[]) {
  return replayWithEnv({ AWS_REGION: '' }, ...args);
}

/** The same, with these environment variables set (e.g. the user's AWS configuration). */
export async function replayWithEnv(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(TSX, ['local/replay.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}
