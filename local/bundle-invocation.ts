import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { RuleOutcome, RuleResult } from '../lambda/rule/run-rule';
import type { WorkMailSyncResponse } from '../lambda/workmail';
import type { DeployedFunction } from './deployed-function';

type Reply = { response: WorkMailSyncResponse } | { error: { name: string; message: string } };

/**
 * Invokes the deployable bundle in a child Node.js process with exactly `environment` (the stack's
 * variables, resolved, plus what Lambda itself sets). Its log lines are passed through as they are;
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
  const closed = new Promise((resolve) => child.once('close', resolve));
  let output = '';
  // Powertools writes WARN and ERROR lines to stderr: a failure's outcome is logged there.
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    from?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      to.write(chunk);
    });
  }
  const reply = await new Promise<Reply>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Reply));
    child.once('exit', (code) =>
      reject(new Error(`the bundle exited with code ${code} before it answered`)),
    );
    child.send({ event, remainingMs });
  });
  // 'close', not 'exit': the last log lines may still be in the pipe when the process exits.
  await closed;
  if ('error' in reply) return thrownResult(reply.error.name);
  const logged = lastOutcomeLine(output);
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
    // The audit's line may come last; it says what audit-only rules would do, not what happened.
    if (typeof entry.outcome === 'string' && !entry.outcome.startsWith('audit-')) return entry;
  }
  return undefined;
}
