import type { RuleResult } from '../../lambda/rule/run-rule';
import type { Harness } from './rule-harness';

/** How the warning reached the reader of a message from outside, or that it did not. */
export type WarningOutcome = 'rewritten' | 'repaired' | 'wrapped' | 'junked' | 'without-warning';
export const WARNING_OUTCOMES: readonly WarningOutcome[] = [
  'rewritten',
  'repaired',
  'wrapped',
  'junked',
  'without-warning',
];

/** Every `Subject:` of the message as stored starts with the tag (after reply prefixes). */
function everySubjectTagged(message: Buffer, tag: string): boolean {
  const end = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, end < 0 ? message.length : end).toString('latin1');
  const subjects = head
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n')
    .filter((line) => /^subject\s*:/i.test(line))
    .map((line) => line.slice(line.indexOf(':') + 1).trim());
  const prefix = /^((re|fwd?|aw|wg|sv|vs)\s*:\s*)*/i;
  return subjects.length > 0 && subjects.every((s) => s.replace(prefix, '').startsWith(tag));
}

/**
 * What a reader of this message gets: the rewrite (tagged), a repaired rewrite, the wrap, the
 * junk folder, or the message without any warning. Judged from the answer and the stored bytes,
 * not from the rule's own account of itself.
 */
export function warningOutcome(
  harness: Harness,
  messageId: string,
  result: RuleResult,
  tag: string,
): WarningOutcome {
  const junked = result.response.actions.some(
    (a) => a.action.type === 'MOVE_TO_JUNK' && a.allRecipients,
  );
  if (junked) return 'junked';
  const stored = harness.services.emulator.message(messageId) ?? Buffer.alloc(0);
  if (!everySubjectTagged(stored, tag)) return 'without-warning';
  if (result.outcome === 'wrapped-by-fallback') return 'wrapped';
  return result.repairs?.length ? 'repaired' : 'rewritten';
}
