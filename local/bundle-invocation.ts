import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { RuleOutcome, RuleResult } from '../lambda/run-rule';
import type { WorkMailSyncResponse } from '../lambda/workmail';
import type { DeployedFunction } from './deployed-function';

type Reply = { response: WorkMailSyncResponse } | { error: { name: string; message: string } };

/**
 * Invokes the deployable bundle in a child Node.js process with exactly `environment` (the stack's
 * variables, resolved, plus what Lambda itself sets). Its log lines are passed through to stdout;
 * the result is read from its answer and its last log line, as an operator would read them.
 */
export async function invokeBundle(
  deployed: DeployedFunction,
  environment: Record<string, string>,
  event: unknown,
  remainingMs: number,
): Promise<RuleResult> {
  const child = fork(join(__dirname, 'bundle-runner.cjs'), [deployed.bundlePath], {
    env: environment,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Both streams: the logger writes errors to stderr, and Lambda sends both to the log group.
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
    process.stdout.write(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
    process.stderr.write(chunk);
  });
  const reply = await new Promise<Reply>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Reply));
    child.once('exit', (code) =>
      reject(new Error(`the bundle exited with code ${code} before it answered`)),
    );
    child.send({ event, remainingMs });
  });
  // 'close', not 'exit': the last log lines may still be in the pipe when the process exits.
  await new Promise((resolve) => child.once('close', resolve));
  if ('error' in reply) return thrownResult(reply.error.name);
  const logged = lastOutcomeLine(output.stdout) ?? lastOutcomeLine(output.stderr);
  if (!logged) throw new Error('the bundle answered but logged no outcome');
  return {
    response: reply.response,
    outcome: logged.outcome as RuleOutcome,
    ...(Array.isArray(logged.rules) ? { rules: logged.rules as string[] } : {}),
    ...(typeof logged.reason === 'string' ? { reason: logged.reason } : {}),
  };
}

/** What replay reports when the function threw: WorkMail would retry the invocation. */
export function thrownResult(errorName: string): RuleResult {
  return {
    response: { actions: [] },
    outcome: 'delivered-unchanged-after-failure',
    reason: `the function threw ${errorName}: WorkMail would retry, then apply the rule's fallback action`,
  };
}

function lastOutcomeLine(output: string): Record<string, unknown> | undefined {
  const lines = output.split('\n').filter((line) => line.startsWith('{"level"'));
  for (const line of lines.reverse()) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry.outcome === 'string') return entry;
  }
  return undefined;
}
