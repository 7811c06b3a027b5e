import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { replayCommand } from '../../local/replay-run';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface ReplayRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs replay in this process, as `npm run replay -- <args>` would; gives its exit code. */
export async function replay(...args: string[]): Promise<ReplayRun> {
  let stdout = '';
  let stderr = '';
  const code = await replayCommand(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** Runs `npm run replay -- <args>` as a user would, in a child process; never throws. */
export async function replayCli(...args: string[]): Promise<ReplayRun> {
  return replayWithEnv({ AWS_REGION: '' }, ...args);
}

/** The same, with these environment variables set (e.g. the user's AWS configuration). */
export async function replayWithEnv(
  env: Record<string, string>,
  ...args: string[]
): Promise<ReplayRun> {
  return run(TSX, ['local/replay.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}
