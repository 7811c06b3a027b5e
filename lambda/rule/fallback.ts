import type { Decision } from '../policy/decide';
import { DEFAULT_MAX_OUTPUT_BYTES, type RewriteReport, wrapMessage } from '../rewrite';
import type { WorkMailSyncResponse } from '../workmail';
import { type EventInvocation, endInvocation, invocationFields, markerOf } from './invocation';
import { putContent, storeOutput } from './store-and-put';
import type { RuleResult } from './types';

/** Why the fallback is applied: the reason, what to log with it, and the report if any. */
export interface FallbackCause {
  reason: string;
  fields: Record<string, unknown>;
  report?: RewriteReport;
}

/**
 * Applies the policy's fallback to a message whose content could not be changed as planned: wraps
 * it (when `mayWrap`, and the rules give a note to carry) or bounces it. Undefined when the
 * fallback delivers: the caller then delivers in its own terms. A failing wrap throws.
 */
export async function applyFallback(
  invocation: EventInvocation,
  decision: Decision,
  cause: FallbackCause,
  mayWrap: boolean,
): Promise<RuleResult | undefined> {
  const { fallback, rules } = decision;
  if (fallback === 'wrap' && mayWrap) {
    const wrapped = await wrapAndPut(invocation, decision, cause.reason);
    if (wrapped) return wrapped;
  }
  if (typeof fallback !== 'object') return undefined;
  return endInvocation(
    invocation,
    'warn',
    'the policy bounces what it cannot change',
    {
      response: bounceAll(fallback.bounce),
      outcome: 'bounced-by-fallback',
      rules,
      ...(cause.report ? { report: cause.report } : {}),
      reason: cause.reason,
    },
    cause.fields,
  );
}

/**
 * The `wrap` fallback: fetches the message again and puts a new one that carries the cover note
 * (the rules' banner, else footer) with the original attached whole. Undefined when the rules give
 * no note to carry.
 */
async function wrapAndPut(
  invocation: EventInvocation,
  decision: Decision,
  reason: string,
): Promise<RuleResult | undefined> {
  const note = decision.content.banner ?? decision.content.footer;
  if (!note?.text && !note?.html) return undefined;
  const { event, deps, budget } = invocation;
  const message = await deps.messageFlow.getRawMessage(event.messageId, budget.signal);
  const wrapped = wrapMessage(message.body, {
    note,
    ...(decision.content.subjectTag ? { subjectTag: decision.content.subjectTag } : {}),
    marker: markerOf(invocation),
    maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
  });
  const { stored, objectKey } = await storeOutput(
    invocation,
    wrapped.output,
    wrapped.done,
    'wrapped',
  );
  await putContent(invocation, stored);
  return endInvocation(
    invocation,
    'warn',
    'the policy wrapped what it could not change',
    {
      response: decision.response,
      outcome: 'wrapped-by-fallback',
      rules: decision.rules,
      objectKey,
      reason,
    },
    { ...invocationFields(invocation, decision.rules), objectKey },
  );
}

/** The policy's bounce fallback: every recipient bounces with the policy's text. */
function bounceAll(bounceMessage: string): WorkMailSyncResponse {
  return {
    actions: [{ action: { type: 'BOUNCE', parameters: { bounceMessage } }, allRecipients: true }],
  };
}
