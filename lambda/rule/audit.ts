import { outcomeOf } from '../failure-outcome';
import type { Decision } from '../policy/decide';
import type { MessageRewrite } from '../rewrite';
import type { EventInvocation } from './invocation';
import { actionSummary, eventFields, failureFields, reportFields } from './log-fields';
import { drain, readToEnd } from './read-to-end';
import { changedAnything } from './report-checks';
import type { AuditResult } from './types';

/** An audit run beside the real one, on its own copy of the message. */
export interface Auditing {
  /** The audit part of the decision on the head; undefined when there is nothing to audit. */
  begin(audit: Decision['audit']): void;
  /** Settles when the audit is over; undefined when no audit-only rule applies. Never rejects. */
  finish(): Promise<AuditResult | undefined>;
  cancel(): void;
}

/**
 * Runs the audit-only rules on a copy of the message, as if they were live, and logs what they
 * would change. Nothing is uploaded or put, and the real answer never waits on its failures. The
 * audit decides nothing of its own: `begin` hands it the audit part of the decision on the head.
 */
export function startAudit(
  { event, deps, budget }: EventInvocation,
  rewrite: MessageRewrite,
): Auditing {
  let audit: Decision['audit'];
  let begin!: (decided: Decision['audit']) => void;
  const decided = new Promise<Decision['audit']>((resolve) => {
    begin = resolve;
  });
  const run = async (): Promise<AuditResult | undefined> => {
    audit = await decided;
    if (!audit) {
      rewrite.cancel();
      await rewrite.done.catch(() => undefined);
      return undefined;
    }
    rewrite.apply(audit.content);
    const [, report] = await readToEnd(rewrite.output, rewrite.done, deps.auditSink ?? drain);
    budget.signal.throwIfAborted();
    const outcome = changedAnything(report) ? 'audit-would-rewrite' : 'audit-would-not-change';
    deps.log.info('audit: what the audit-only rules would do', {
      ...eventFields(event),
      rules: audit.rules,
      actions: actionSummary(audit.response),
      ...reportFields(report),
      outcome,
    });
    return { outcome, rules: audit.rules, response: audit.response, report };
  };
  const done = run().catch((error: unknown) => {
    const reason = outcomeOf(error, budget.signal).reason;
    deps.log.warn('audit: the audit-only rules could not change the message', {
      ...eventFields(event),
      ...(audit ? { rules: audit.rules, actions: actionSummary(audit.response) } : {}),
      ...failureFields(error, reason),
      outcome: 'audit-would-fall-back',
    });
    return (
      audit && {
        outcome: 'audit-would-fall-back' as const,
        rules: audit.rules,
        response: audit.response,
        reason,
      }
    );
  });
  return {
    begin,
    finish: () => {
      // A message whose head was never read leaves nothing to audit.
      begin(undefined);
      return done;
    },
    cancel: () => {
      begin(undefined);
      rewrite.cancel();
    },
  };
}
