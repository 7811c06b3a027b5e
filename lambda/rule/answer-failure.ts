import { isContentFailure, outcomeOf, repairMayHelp, wrapMayHelp } from '../failure-outcome';
import type { Decision } from '../policy/decide';
import { envelopeDecision } from '../policy/plan';
import { DELIVER_TO_ALL } from '../workmail';
import { applyFallback } from './fallback';
import { endInvocation, type Invocation, invocationFields, requestRetry } from './invocation';
import type { Keeping } from './keep-original';
import { failureFields } from './log-fields';
import { repairAndPut } from './repair-and-put';
import type { RuleResult } from './types';

/** What the invocation had got to when it failed. */
export interface FailedAt {
  /** The policy's decision, when the head was read. */
  decision?: Decision;
  /** Whether the `wrap` fallback was tried already: a refused wrap is not tried twice. */
  wrapTried?: boolean;
  keeping?: Keeping;
}

/**
 * Decides what a failure means (`outcomeOf`): throws so that WorkMail retries, or answers with the
 * policy's fallback, or delivers the original unchanged.
 */
export async function answerFailure(
  invocation: Invocation,
  error: unknown,
  failedAt: FailedAt,
): Promise<RuleResult> {
  const { deps, budget, event } = invocation;
  const outcome = outcomeOf(error, budget.signal);
  // Headers never read: the rules the envelope alone proves still decide the answer.
  const decision = failedAt.decision ?? (event && envelopeDecision(deps.policy, event));
  const eventLogFields = invocationFields(invocation, decision?.rules);
  const fields = { ...eventLogFields, ...failureFields(error, outcome.reason) };
  if (outcome.action === 'retry') requestRetry(invocation, error, outcome.reason, eventLogFields);
  // The message that could not be changed is the one worth keeping for debugging.
  failedAt.keeping?.commit();
  /** A step after the failure fails too: a fault of the moment is retried, any other logged. */
  const passOn =
    (message: string, key: string) =>
    (stepError: unknown): undefined => {
      const stepOutcome = outcomeOf(stepError, budget.signal);
      if (stepOutcome.action === 'retry')
        requestRetry(invocation, stepError, stepOutcome.reason, eventLogFields);
      deps.log.warn(message, { ...fields, [key]: failureFields(stepError, stepOutcome.reason) });
      return undefined;
    };
  if (event && decision) {
    const contentFailure = isContentFailure(error, outcome);
    if (contentFailure && repairMayHelp(error, outcome) && !budget.signal.aborted) {
      const repaired = await repairAndPut({ ...invocation, event }, decision, fields).catch(
        passOn('the repaired message failed as well', 'repairFailure'),
      );
      if (repaired) return repaired;
    }
    const mayWrap =
      contentFailure && !failedAt.wrapTried && wrapMayHelp(error) && !budget.signal.aborted;
    // A failure that is not the content's (a bug, a deployment fault) still fails closed where
    // the policy says `junk`; a wrap or a bounce answers only for the content.
    const cause = { reason: outcome.reason, fields, junkOnly: !contentFailure };
    const answered = await applyFallback({ ...invocation, event }, decision, cause, mayWrap).catch(
      passOn('wrapping failed as well', 'wrapFailure'),
    );
    if (answered) return answered;
  }
  return endInvocation(
    invocation,
    outcome.severity,
    'delivering the original message unchanged',
    {
      // The policy's delivery actions still hold when only the content could not change.
      response: decision?.response ?? DELIVER_TO_ALL,
      outcome: 'delivered-unchanged-after-failure',
      reason: outcome.reason,
      ...(decision ? { rules: decision.rules } : {}),
    },
    fields,
  );
}
