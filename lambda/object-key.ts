import { createHash } from 'node:crypto';

const SAFE_ID = /^[a-zA-Z0-9-]{1,200}$/;

/**
 * The S3 key for an invocation's rewritten message. WorkMail retries an invocation with the same
 * id, so a retry overwrites its earlier upload instead of adding another. The key must match the
 * Message Flow API's `^[a-zA-Z0-9\-/]*$`: an id with other characters is hashed.
 */
export function objectKeyFor(prefix: string, invocationId: string): string {
  if (SAFE_ID.test(invocationId)) return `${prefix}${invocationId}`;
  return `${prefix}sha256-${createHash('sha256').update(invocationId).digest('hex')}`;
}
