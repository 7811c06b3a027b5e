import type { TimeBudget } from '../time-budget';
import type { WorkMailRunLambdaEvent } from '../workmail';
import { eventFields, failureFields } from './log-fields';
import type { RuleDeps, RuleResult } from './types';

/** One invocation of the rule: what it was given and its time allowance. */
export interface Invocation {
  deps: RuleDeps;
  budget: TimeBudget;
  /** The event, once the payload was read as one. */
  event?: WorkMailRunLambdaEvent;
}

/** An invocation whose payload is a valid event. */
export type EventInvocation = Invocation & { event: WorkMailRunLambdaEvent };

/** The header that marks this invocation's output: a retry finds its own work by it. */
export function markerOf({ deps, event }: EventInvocation) {
  return { header: deps.policy.markerHeader, value: event.invocationId };
}

/** The log fields that identify the invocation (nothing before the event was read). */
export function invocationFields(invocation: Invocation, rules?: string[]) {
  return {
    ...(invocation.event ? eventFields(invocation.event) : {}),
    ...(rules ? { rules } : {}),
  };
}

// Metrics never decide the mail's fate: a failing port is logged, and the answer stands.
function measure(invocation: Invocation, outcome: string, result?: RuleResult, reason?: string) {
  const { deps, budget, event } = invocation;
  const why = reason ?? result?.reason;
  try {
    deps.metrics?.record({
      outcome,
      ...(event ? { direction: event.flowDirection } : {}),
      ...(why ? { reason: why } : {}),
      ...(result?.report ? { bytes: result.report.bytesIn } : {}),
      ...(result?.timings ?? {}),
      budgetLeftMs: budget.remaining(),
    });
  } catch (error) {
    deps.log.warn('metrics could not be recorded', failureFields(error, 'metrics-failed'));
  }
}

/**
 * Ends the invocation with `result`: one log line that says how (its outcome, and its reason when
 * there is one), one measure, and the result to answer with.
 */
export function endInvocation(
  invocation: Invocation,
  level: 'info' | 'warn' | 'error',
  message: string,
  result: RuleResult,
  fields: Record<string, unknown>,
): RuleResult {
  invocation.deps.log[level](message, {
    ...fields,
    ...(result.reason ? { reason: result.reason } : {}),
    outcome: result.outcome,
  });
  measure(invocation, result.outcome, result);
  return result;
}

/** Logs and measures why WorkMail should retry, then throws so that it does. */
export function requestRetry(
  invocation: Invocation,
  error: unknown,
  reason: string,
  fields: Record<string, unknown>,
): never {
  invocation.deps.log.error('failing the invocation so that WorkMail retries it', {
    ...fields,
    ...failureFields(error, reason),
    outcome: 'retry',
  });
  measure(invocation, 'retry', undefined, reason);
  throw error;
}
