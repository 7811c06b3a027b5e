/**
 * Environment variables the function reads: deployment settings only (what to rewrite is the
 * policy's job). The CDK stack sets them from these same constants, so the two cannot drift apart.
 */
export const ENV = {
  bucket: 'MESSAGE_BUCKET',
  keyPrefix: 'MESSAGE_KEY_PREFIX',
  originalBucket: 'ORIGINAL_BUCKET',
} as const;
