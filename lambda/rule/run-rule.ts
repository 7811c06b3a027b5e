import type { Context } from 'aws-lambda';
import { startBudget } from '../time-budget';
import { parseWorkMailEvent } from '../workmail';
import { answerFailure } from './answer-failure';
import type { Invocation } from './invocation';
import { mainCourse } from './main-course';
import type { RuleDeps, RuleResult } from './types';

export type { AuditResult, RuleDeps, RuleOutcome, RuleResult } from './types';

/**
 * Runs the rule on one Lambda payload. Returns the result (for replay and tests), or throws when
 * WorkMail should retry the invocation.
 */
export async function runRule(
  payload: unknown,
  deps: RuleDeps,
  lambdaContext?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<RuleResult> {
  const budget = startBudget(deps.now, lambdaContext?.getRemainingTimeInMillis());
  const invocation: Invocation = { deps, budget };
  try {
    let event: ReturnType<typeof parseWorkMailEvent>;
    try {
      event = parseWorkMailEvent(payload);
    } catch (error) {
      return await answerFailure(invocation, error, {});
    }
    return await mainCourse({ ...invocation, event });
  } finally {
    budget.end();
  }
}
