import { types } from 'node:util';
import { isTransientError } from '@smithy/service-error-classification';
import type { ServiceError } from './aws/port-errors';
import { OwnError } from './errors';
import type { DeclineReason, RewriteDeclinedError } from './rewrite';

/**
 * What to do when handling a message fails: throw so that WorkMail retries the invocation, or
 * answer DEFAULT so that the original message is delivered unchanged.
 */
export type FailureOutcome =
  | { action: 'retry'; reason: string }
  | { action: 'deliver-unchanged'; reason: string; severity: 'warn' | 'error' };

/** Realm-safe: errors from Node's own modules may not be `instanceof Error` in every context. */
export function isError(error: unknown): error is Error {
  return types.isNativeError(error);
}

export function errorName(error: unknown): string {
  return isError(error) ? error.name : typeof error;
}

type OwnCode =
  | RewriteDeclinedError['code']
  | ServiceError['code']
  | 'invalid-event'
  | 'out-of-time';

const retry = (reason: string): FailureOutcome => ({ action: 'retry', reason });
const deliver = (reason: string, severity: 'warn' | 'error'): FailureOutcome => ({
  action: 'deliver-unchanged',
  reason,
  severity,
});

/** What each of the project's own errors means, by its code. */
const BY_CODE: Record<OwnCode, (error: OwnError) => FailureOutcome> = {
  // A retry may cure these (WorkMail retries until the rule timeout).
  'message-body-missing': () => retry('message-body-missing'),
  throttled: () => retry('throttled'),
  'transient-error': () => retry('transient-error'),
  // The same event or the same bytes would fail the same way again.
  'invalid-event': () => deliver('invalid-event', 'error'),
  // The engine declined: broken structure, a line WorkMail would refuse, too large...
  'rewrite-declined': (error) =>
    deliver(`declined-${(error as RewriteDeclinedError).reason}`, 'warn'),
  'out-of-time': () => deliver('out-of-time', 'warn'),
  // Redirected mail cannot be updated (the AWS samples deliver it as it is).
  'message-frozen': () => deliver('message-frozen', 'warn'),
  // The service refused the rewritten MIME; the original is still deliverable.
  'message-rejected': () => deliver('message-rejected', 'warn'),
  // Older than 24 hours, or not in this organization: nothing to rewrite.
  'message-not-found': () => deliver('message-not-found', 'warn'),
  // Bucket policy, region or owner is wrong: a deployment problem no retry cures.
  'invalid-content-location': () => deliver('invalid-content-location', 'error'),
  'service-failed': () => deliver('unexpected-error', 'error'),
};

/**
 * The one place that decides between retry and delivering the original. Only causes that a retry
 * can cure are retried; everything else delivers the message as it came, because a rewrite that
 * cannot happen must never stop mail. Own errors are told apart by their code; the rest (the
 * message stream's own I/O errors) by Node's error codes.
 */
export function classifyFailure(error: unknown): FailureOutcome {
  if (error instanceof OwnError) {
    return BY_CODE[error.code as OwnCode]?.(error) ?? deliver('unexpected-error', 'error');
  }
  if ((error as { code?: unknown } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return retry('stream-closed-early');
  }
  if (isError(error) && isTransientError(error as Parameters<typeof isTransientError>[0])) {
    return retry('transient-error');
  }
  return deliver('unexpected-error', 'error');
}

const OUT_OF_TIME = deliver('out-of-time', 'warn');

/**
 * What a failure means for this invocation. Once the budget ran out, the time is the cause of
 * whatever a call failed with, unless the service said something specific (frozen, rejected...).
 */
export function outcomeOf(error: unknown, budget: AbortSignal): FailureOutcome {
  const outcome = classifyFailure(error);
  if (!budget.aborted) return outcome;
  return outcome.action === 'retry' || outcome.reason === 'unexpected-error'
    ? OUT_OF_TIME
    : outcome;
}

// Failures that mean "this content cannot be changed", which the policy's fallback answers.
const CONTENT_FAILURES = new Set(['message-rejected', 'out-of-time']);

/** Whether the policy's fallback (wrap, bounce) answers this failure, rather than delivery. */
export function isContentFailure(error: unknown, outcome: FailureOutcome): boolean {
  return (
    (error instanceof OwnError && error.code === 'rewrite-declined') ||
    CONTENT_FAILURES.has(outcome.reason)
  );
}

// The wrap attaches any bytes (as base64 when they break WorkMail's rules), but an empty message
// has nothing to attach and a large one only grows.
const WRAP_CANNOT_HELP = new Set<DeclineReason>(['empty', 'too-large']);
// What the repair mends (see rewrite/repair-message.ts); a refused Put may be any of its cases.
const REPAIRABLE = new Set<DeclineReason>(['missing-final-boundary', 'line-too-long', 'bare-cr']);

/** Whether repairing the original may let the rewrite through where it failed. */
export function repairMayHelp(error: unknown, outcome: FailureOutcome): boolean {
  if (outcome.reason === 'message-rejected') return true;
  return (
    error instanceof OwnError &&
    error.code === 'rewrite-declined' &&
    REPAIRABLE.has((error as RewriteDeclinedError).reason)
  );
}

/** Whether wrapping the original whole may succeed where the rewrite failed. */
export function wrapMayHelp(error: unknown): boolean {
  return !(
    error instanceof OwnError &&
    error.code === 'rewrite-declined' &&
    WRAP_CANNOT_HELP.has((error as RewriteDeclinedError).reason)
  );
}
