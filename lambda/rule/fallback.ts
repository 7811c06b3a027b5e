import type { StoredObject } from '../aws/ports';
import { outcomeOf } from '../failure-outcome';
import type { Decision } from '../policy/decide';
import { junkResponse } from '../policy/response';
import { type FallbackStep, fallbackStepsOf } from '../policy/schema';
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type RewriteReport,
  type WrapAttachment,
  wrapMessage,
} from '../rewrite';
import type { WorkMailRunLambdaEvent, WorkMailSyncResponse } from '../workmail';
import { type EventInvocation, endInvocation, invocationFields, markerOf } from './invocation';
import { failureFields } from './log-fields';
import { putContent, storeOutput } from './store-and-put';
import type { RuleResult } from './types';

/** Why the fallback is applied: the reason, what to log with it, and the report if any. */
export interface FallbackCause {
  reason: string;
  fields: Record<string, unknown>;
  report?: RewriteReport;
  /**
   * How a wrap attaches the original: `message` when it only could not take an addition (it meets
   * WorkMail's rules as it is), `octets` (the default) when it was declined or refused.
   */
  attach?: WrapAttachment;
  /** A stored rewrite whose subject is tagged: `junk` puts it, so the tag is there at least. */
  tagged?: StoredObject;
  /** The failure was not the content's (an unexpected error, say): only `junk` may answer. */
  junkOnly?: boolean;
}

/**
 * Invocations (by their event) whose wrap was tried: a wrap refused once is not tried again, by
 * the unplaced-addition path and the failure path alike.
 */
const wrapTried = new WeakSet<WorkMailRunLambdaEvent>();

/** The steps of the decision's fallback that apply in this direction (`junk` is inbound only). */
function stepsFor(decision: Decision, event: WorkMailRunLambdaEvent): FallbackStep[] {
  return fallbackStepsOf(decision.fallback).filter(
    (step) => step !== 'junk' || event.flowDirection === 'INBOUND',
  );
}

/**
 * Applies the policy's fallback to a message whose content could not be changed as planned,
 * trying its steps in order: `wrap` (when `mayWrap`, and the rules give a note to carry; a wrap
 * that fails for good goes on to the next step), `junk`, a bounce, or `deliver`. Undefined when
 * the fallback delivers: the caller then delivers in its own terms. A failure a retry may cure
 * throws.
 */
export async function applyFallback(
  invocation: EventInvocation,
  decision: Decision,
  cause: FallbackCause,
  mayWrap: boolean,
): Promise<RuleResult | undefined> {
  for (const step of stepsFor(decision, invocation.event)) {
    if (step === 'deliver') return undefined;
    if (step === 'junk') return junk(invocation, decision, cause);
    if (cause.junkOnly) continue;
    if (typeof step === 'object') return bounce(invocation, decision, cause, step.bounce);
    if (!mayWrap || wrapTried.has(invocation.event)) continue;
    wrapTried.add(invocation.event);
    const wrapped = await wrapAndPut(invocation, decision, cause).catch((error: unknown) => {
      const outcome = outcomeOf(error, invocation.budget.signal);
      if (outcome.action === 'retry') throw error;
      invocation.deps.log.warn('wrapping failed as well', {
        ...cause.fields,
        wrapFailure: failureFields(error, outcome.reason),
      });
      return undefined;
    });
    if (wrapped) return wrapped;
  }
  return undefined;
}

function bounce(
  invocation: EventInvocation,
  decision: Decision,
  cause: FallbackCause,
  bounceMessage: string,
): RuleResult {
  return endInvocation(
    invocation,
    'warn',
    'the policy bounces what it cannot change',
    {
      response: bounceAll(bounceMessage),
      outcome: 'bounced-by-fallback',
      rules: decision.rules,
      ...(cause.report ? { report: cause.report } : {}),
      reason: cause.reason,
    },
    cause.fields,
  );
}

/**
 * The `junk` fallback: the answer moves the message to every normally delivered recipient's junk
 * folder, which needs no Put and cannot fail. A stored rewrite with the subject tagged is put
 * first, so the tag is there too; if that Put fails, the junk answer stands.
 */
async function junk(
  invocation: EventInvocation,
  decision: Decision,
  cause: FallbackCause,
): Promise<RuleResult> {
  let subjectTagged = false;
  if (cause.tagged && !invocation.budget.signal.aborted) {
    subjectTagged = await putContent(invocation, cause.tagged).then(
      () => true,
      (error: unknown) => {
        const outcome = outcomeOf(error, invocation.budget.signal);
        invocation.deps.log.warn('the subject tag could not be put; junk all the same', {
          ...cause.fields,
          putFailure: failureFields(error, outcome.reason),
        });
        return false;
      },
    );
  }
  return endInvocation(
    invocation,
    'warn',
    'the policy moves to junk what it cannot change',
    {
      response: junkResponse(decision.response),
      outcome: 'junked-by-fallback',
      rules: decision.rules,
      ...(cause.report ? { report: cause.report } : {}),
      reason: cause.reason,
    },
    { ...cause.fields, subjectTagged },
  );
}

/** The wrapper's `From:` when the original has none: the envelope sender, else a reserved name. */
function wrapperFrom(event: WorkMailRunLambdaEvent): string {
  const sender = event.envelope.mailFrom.address;
  return sender ? `<${sender}>` : '"unknown sender" <MAILER-DAEMON@unknown.invalid>';
}

/**
 * The `wrap` fallback: fetches the message again and puts a new one that carries the cover note
 * (the rules' banner, else footer) with the original attached whole. Undefined when the rules give
 * no note to carry.
 */
async function wrapAndPut(
  invocation: EventInvocation,
  decision: Decision,
  cause: FallbackCause,
): Promise<RuleResult | undefined> {
  const note = decision.content.banner ?? decision.content.footer;
  if (!note?.text && !note?.html) return undefined;
  const { event, deps, budget } = invocation;
  const attach = cause.attach ?? 'octets';
  const message = await deps.messageFlow.getRawMessage(event.messageId, budget.signal);
  const wrapped = wrapMessage(message.body, {
    note,
    ...(decision.content.subjectTag ? { subjectTag: decision.content.subjectTag } : {}),
    marker: markerOf(invocation),
    maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
    attach,
    from: wrapperFrom(event),
    now: () => new Date(deps.now()),
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
      reason: cause.reason,
    },
    { ...invocationFields(invocation, decision.rules), objectKey, attach },
  );
}

/** The policy's bounce fallback: every recipient bounces with the policy's text. */
function bounceAll(bounceMessage: string): WorkMailSyncResponse {
  return {
    actions: [{ action: { type: 'BOUNCE', parameters: { bounceMessage } }, allRecipients: true }],
  };
}
