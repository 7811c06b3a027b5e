import type { WorkMailRunLambdaEvent, WorkMailSyncAction, WorkMailSyncResponse } from '../workmail';
import { addressMatches } from './addresses';
import type { PolicyRule } from './schema';

type Deliver = NonNullable<PolicyRule['actions']['deliver']>;

const DEFAULT_DELIVERY: Deliver = { action: 'DEFAULT' };

function actionOf(deliver: Deliver): WorkMailSyncAction['action'] {
  return deliver.action === 'BOUNCE' && deliver.bounceMessage
    ? { type: 'BOUNCE', parameters: { bounceMessage: deliver.bounceMessage } }
    : { type: deliver.action };
}

function keyOf(deliver: Deliver): string {
  return `${deliver.action}\u0000${deliver.action === 'BOUNCE' ? (deliver.bounceMessage ?? '') : ''}`;
}

/**
 * The answer WorkMail gets, built from the rules that apply. Each recipient gets the delivery of
 * the first rule that names it (or names no one); everyone else, including recipients a truncated
 * event left out, gets the delivery of the first rule without a recipient list, or DEFAULT, through
 * `allRecipients`: a recipient that no action covers would get the WorkMail rule's fallback.
 */
export function buildResponse(
  event: WorkMailRunLambdaEvent,
  rules: readonly PolicyRule[],
): WorkMailSyncResponse {
  const deliveries = rules.flatMap((rule) => (rule.actions.deliver ? [rule.actions.deliver] : []));
  const forEveryone = deliveries.find((d) => !d.recipients) ?? DEFAULT_DELIVERY;
  const groups = new Map<string, { deliver: Deliver; recipients: string[] }>();
  for (const { address } of event.envelope.recipients) {
    const deliver =
      deliveries.find(
        (d) => !d.recipients || d.recipients.some((p) => addressMatches(p, address)),
      ) ?? forEveryone;
    if (keyOf(deliver) === keyOf(forEveryone)) continue;
    const group = groups.get(keyOf(deliver)) ?? { deliver, recipients: [] };
    group.recipients.push(address);
    groups.set(keyOf(deliver), group);
  }
  const actions: WorkMailSyncAction[] = [...groups.values()].map(({ deliver, recipients }) => ({
    action: actionOf(deliver),
    recipients,
  }));
  actions.push({ action: actionOf(forEveryone), allRecipients: true });
  const known = new Set(event.envelope.recipients.map((r) => r.address.toLowerCase()));
  const added = [
    ...new Set(
      rules.flatMap((rule) => rule.actions.addRecipients ?? []).map((a) => a.toLowerCase()),
    ),
  ].filter((address) => !known.has(address));
  if (added.length > 0) actions.push({ action: { type: 'DEFAULT' }, recipients: added });
  return { actions };
}

/**
 * The `junk` fallback's answer: every recipient the policy would deliver normally gets the message
 * in the junk folder, so a warning that could not be written is given by where the mail lands.
 * Bounces, drops and junk the policy asked for stay as they were.
 */
export function junkResponse(response: WorkMailSyncResponse): WorkMailSyncResponse {
  return {
    actions: response.actions.map((entry) =>
      entry.action.type === 'DEFAULT' || entry.action.type === 'BYPASS_SPAM_CHECK'
        ? { ...entry, action: { type: 'MOVE_TO_JUNK' } }
        : entry,
    ),
  };
}
