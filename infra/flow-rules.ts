import type { Policy } from '../lambda/policy/schema';
import type { FlowDirection } from '../lambda/workmail';

/**
 * The WorkMail flow rules (inbound, outbound) a policy needs: a direction is needed when some
 * rule, live or audit-only, can apply to it, or, for outbound, when clean replies are on. A rule
 * without a direction condition needs both.
 */
export function flowRulesNeeded(policy: Policy): FlowDirection[] {
  const directions: FlowDirection[] = ['INBOUND', 'OUTBOUND'];
  return directions.filter(
    (direction) =>
      (direction === 'OUTBOUND' && policy.cleanReplies) ||
      policy.rules.some(
        (rule) =>
          (rule.when?.direction ?? direction) === direction && rule.unless?.direction !== direction,
      ),
  );
}

const RULE_LIST = { INBOUND: 'Inbound rules', OUTBOUND: 'Outbound rules' } as const;

/** The console steps for the stack's `NextStep` output, naming every rule the policy needs. */
export function nextStepText(needed: readonly FlowDirection[]): string {
  if (needed.length === 0) {
    return 'The policy has no rule that can apply to inbound or outbound mail: attach no WorkMail rule.';
  }
  const lists = needed.map((direction) => `"${RULE_LIST[direction]}"`).join(' and ');
  const count = needed.length === 2 ? 'two rules, one in each list' : 'one rule';
  return (
    `WorkMail console > your organization > Organization settings > ${lists} > Create ` +
    `(your policy needs ${count}; a list that has no rule leaves that direction's mail untouched): ` +
    'Action "Run Lambda", tick "Run synchronously", enter FunctionArn (the live alias), ' +
    'Sender domains or addresses "*" and Destination "*" (a synchronous rule takes only *), ' +
    'Fallback action (what WorkMail does when it cannot get an answer): "Deliver to junk folder" ' +
    'for the inbound rule (outside mail that missed its warning goes to junk, not the inbox), ' +
    '"Default" for an outbound rule (sent without its footer rather than stopped), ' +
    'Rule timeout 5-10 minutes (how long WorkMail retries a failed call). ' +
    'Then turn on email event logging (Monitoring settings) and run npm run smoke. ' +
    'README step 4 and docs/deployment.md have details.'
  );
}
