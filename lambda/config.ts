import { ENV } from './env-names';
import { ConfigError } from './errors';

/** The function's deployment settings, read once at cold start. */
export interface Config {
  /** Bucket for rewritten messages; WorkMail reads them from there. */
  readonly bucket: string;
  /** Key prefix for rewritten messages; the invocation id follows it. */
  readonly keyPrefix: string;
  /**
   * Bucket for untouched originals, under the same keys as rewritten messages; absent when the
   * deployment does not keep them.
   */
  readonly originalBucket?: string;
}

/** Defaults for the optional settings, in one place. docs/deployment.md's environment table lists them. */
export const DEFAULTS = {
  keyPrefix: 'rewritten/',
} as const;

// The Message Flow API's S3Reference patterns (workmail-protocol.md §3.2).
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9-]{2,62}$/;
const KEY_PREFIX_PATTERN = /^[a-zA-Z0-9\-/]{0,900}$/;

function matching(value: string, key: string, pattern: RegExp, expected: string): string {
  if (!pattern.test(value)) {
    throw new ConfigError(
      `environment variable ${key} must be ${expected}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function bucketName(value: string, key: string): string {
  return matching(value, key, BUCKET_PATTERN, '3-63 characters of a-z, 0-9 and - (no dots)');
}

/**
 * Reads and validates the configuration.
 *
 * @throws ConfigError naming the variable and what it expects
 */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const bucket = env[ENV.bucket];
  if (!bucket) throw new ConfigError(`environment variable ${ENV.bucket} is required`);
  const originalBucket = env[ENV.originalBucket];
  const config: Config = {
    bucket: bucketName(bucket, ENV.bucket),
    keyPrefix: matching(
      env[ENV.keyPrefix] ?? DEFAULTS.keyPrefix,
      ENV.keyPrefix,
      KEY_PREFIX_PATTERN,
      'letters, digits, - and / only',
    ),
    // An empty value turns the feature off, as an absent one does.
    ...(originalBucket ? { originalBucket: bucketName(originalBucket, ENV.originalBucket) } : {}),
  };
  // Both buckets use the same keys: in one bucket the original would overwrite the rewritten
  // message that WorkMail is about to read.
  if (config.originalBucket === config.bucket) {
    throw new ConfigError(
      `environment variable ${ENV.originalBucket} must name another bucket than ${ENV.bucket}, got ${JSON.stringify(bucket)} for both`,
    );
  }
  return Object.freeze(config);
}
