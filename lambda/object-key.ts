import { createHash } from 'node:crypto';

const SAFE_ID = /^[a-zA-Z0-9-]{1,200}$/;

/** An object of the invocation's other than its first rewrite. */
export type KeyVariant = 'wrapped' | 'repaired';

/**
 * The S3 key for an invocation's rewritten message (`wrapped`: for the message wrapped by the
 * policy's fallback; `repaired`: for the rewrite of the repaired message; neither must meet the
 * rewrite's object under its key). WorkMail retries an
 * invocation with the same id, so a retry finds its earlier upload under the same key (writes
 * are conditional: it is never replaced) instead of adding another. The key must match the
 * Message Flow API's `^[a-zA-Z0-9\-/]*$`: an id with other characters is hashed.
 */
export function objectKeyFor(prefix: string, invocationId: string, variant?: KeyVariant): string {
  const id = SAFE_ID.test(invocationId)
    ? invocationId
    : `sha256-${createHash('sha256').update(invocationId).digest('hex')}`;
  return `${prefix}${id}${variant ? `-${variant}` : ''}`;
}
