import { types } from 'node:util';
import {
  isServerError,
  isThrottlingError,
  isTransientError,
} from '@smithy/service-error-classification';
import { InvalidEventError, MissingMessageBodyError } from './errors';
import { RewriteDeclinedError } from './rewrite/rewrite-declined';

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

/**
 * The one place that decides between retry and delivering the original. Only causes that a retry
 * can cure are retried; everything else delivers the message as it came, because a rewrite that
 * cannot happen must never stop mail.
 */
export function classifyFailure(error: unknown): FailureOutcome {
  // Retry: the next attempt may succeed (WorkMail retries until the rule timeout).
  if ((error as { code?: unknown } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return { action: 'retry', reason: 'stream-closed-early' };
  }
  if (error instanceof MissingMessageBodyError)
    return { action: 'retry', reason: 'message-body-missing' };
  if (isError(error)) {
    const sdkError = error as Parameters<typeof isThrottlingError>[0];
    if (isThrottlingError(sdkError)) return { action: 'retry', reason: 'throttled' };
    // S3's 409 while another conditional write of the same key is under way: an earlier
    // attempt of this invocation is storing it, and the next attempt will find it stored.
    if (
      isTransientError(sdkError) ||
      isServerError(sdkError) ||
      error.name === 'ConditionalRequestConflict'
    ) {
      return { action: 'retry', reason: 'transient-error' };
    }
  }
  switch (errorName(error)) {
    // The same event or the same bytes would fail the same way again.
    case InvalidEventError.name:
      return { action: 'deliver-unchanged', reason: 'invalid-event', severity: 'error' };
    // The engine declined: broken structure, a line WorkMail would refuse, too large...
    case RewriteDeclinedError.name:
      return {
        action: 'deliver-unchanged',
        reason: `declined-${(error as RewriteDeclinedError).reason}`,
        severity: 'warn',
      };
    // Redirected mail cannot be updated (the AWS samples deliver it as it is).
    case 'MessageFrozen':
      return { action: 'deliver-unchanged', reason: 'message-frozen', severity: 'warn' };
    // The service refused the rewritten MIME; the original is still deliverable.
    case 'MessageRejected':
      return { action: 'deliver-unchanged', reason: 'message-rejected', severity: 'warn' };
    // Older than 24 hours, or not in this organization: nothing to rewrite.
    case 'ResourceNotFoundException':
      return { action: 'deliver-unchanged', reason: 'message-not-found', severity: 'warn' };
    // Bucket policy, region or owner is wrong: a deployment problem no retry cures.
    case 'InvalidContentLocation':
      return { action: 'deliver-unchanged', reason: 'invalid-content-location', severity: 'error' };
    default:
      return { action: 'deliver-unchanged', reason: 'unexpected-error', severity: 'error' };
  }
}

const HEADER_NAME = /\b(X-[A-Za-z0-9-]+|[A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)*)(?=\s*:)/g;
const KNOWN_HEADERS = new Set([
  'bcc',
  'cc',
  'content-disposition',
  'content-id',
  'content-transfer-encoding',
  'content-type',
  'date',
  'from',
  'in-reply-to',
  'message-id',
  'mime-version',
  'received',
  'references',
  'reply-to',
  'return-path',
  'sender',
  'subject',
  'to',
]);
const LINE_NUMBER = /\bline\s*(?:number\s*)?#?\s*(\d{1,7})/gi;

/**
 * The parts of a MessageRejected text that are safe to log: header names (standard ones, or
 * X- names) and line numbers. Values are dropped: they may quote addresses or the subject.
 */
export function rejectionDetails(message: string): {
  headerNames: string[];
  lineNumbers: number[];
} {
  const headerNames = new Set<string>();
  for (const [, name = ''] of message.matchAll(HEADER_NAME)) {
    if (KNOWN_HEADERS.has(name.toLowerCase()) || /^X-/i.test(name)) headerNames.add(name);
  }
  const lineNumbers = new Set<number>();
  for (const [, digits = ''] of message.matchAll(LINE_NUMBER)) lineNumbers.add(Number(digits));
  return { headerNames: [...headerNames], lineNumbers: [...lineNumbers] };
}
