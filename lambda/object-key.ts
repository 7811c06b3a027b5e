import { createHash } from 'node:crypto';

const SAFE_ID = /^[a-zA-Z0-9-]{1,200}$/;

/**
 * The S3 key for an invocation's rewritten message (`wrapped`: for the message wrapped by the
 * policy's fallback, which must not meet the rewrite's object under its key). WorkMail retries an
 * invocation with the same id, so a retry finds its earlier upload under the same key (writes
 * are conditional: it is never replaced) instead of adding another. The key must match the
 * Message Flow API's `^[a-zA-Z0-9\-/]*$`: an id with other characters is hashed.
 */
export function objectKeyFor(prefix: string, invocationId: string, variant?: 'wrapped'): string {
  const id = SAFE_ID.test(invocationId)
    ? invocationId
    : `sha256-${createHash('sha256').update(invocationId).digest('hex')}`;
  return `${prefix}${id}${variant ? `-${variant}` : ''}`;
}
