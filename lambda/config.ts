import { ENV } from './env-names';
import { ConfigError } from './errors';
import type { FlowDirection } from './workmail';

/** The function's settings, read once at cold start. */
export interface Config {
  /** Bucket for rewritten messages; WorkMail reads them from there. */
  readonly bucket: string;
  /** Key prefix for rewritten messages; the invocation id follows it. */
  readonly keyPrefix: string;
  /** Subject prefix; empty turns tagging off. */
  readonly subjectTag: string;
  /** Text put at the top of the plain-text body; empty turns it off. */
  readonly textBanner: string;
  /** HTML put right after `<body>` of the HTML body; empty turns it off. */
  readonly htmlBanner: string;
  /** Text appended to the plain-text body; empty turns it off. */
  readonly textFooter: string;
  /** HTML inserted before `</body>` of the HTML body; empty turns it off. */
  readonly htmlFooter: string;
  /** Header that marks a message as rewritten by this function. */
  readonly markerHeader: string;
  /** Mail flowing in other directions is delivered as it is, without being fetched. */
  readonly directions: readonly FlowDirection[];
}

/** Defaults for the optional settings, in one place. README's configuration table lists them. */
export const DEFAULTS = {
  keyPrefix: 'rewritten/',
  subjectTag: '[EXTERNAL]',
  textBanner: '',
  htmlBanner: '',
  textFooter:
    'CAUTION: This email originated from outside the organization. ' +
    'Do not click links or open attachments unless you recognize the sender.',
  htmlFooter:
    '<p style="border:1px solid #c00;padding:6px;color:#c00;font-family:sans-serif">' +
    'CAUTION: This email originated from outside the organization. ' +
    'Do not click links or open attachments unless you recognize the sender.</p>',
  markerHeader: 'X-Mail-Rewrite-Id',
  // An "[EXTERNAL]" warning belongs on mail coming in, not on the company's own outgoing mail.
  directions: 'INBOUND',
} as const;

// The Message Flow API's S3Reference patterns (workmail-protocol.md §3.2).
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9-]{2,62}$/;
const KEY_PREFIX_PATTERN = /^[a-zA-Z0-9\-/]{0,900}$/;
const HEADER_NAME_PATTERN = /^X-[A-Za-z0-9-]{1,70}$/;

function optional(env: NodeJS.ProcessEnv, key: string, fallback: string): string {
  return env[key] ?? fallback;
}

function matching(value: string, key: string, pattern: RegExp, expected: string): string {
  if (!pattern.test(value)) {
    throw new ConfigError(
      `environment variable ${key} must be ${expected}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function singleLine(value: string, key: string): string {
  if (/[\r\n]/.test(value))
    throw new ConfigError(`environment variable ${key} must not contain line breaks`);
  return value;
}

function directionList(value: string, key: string): FlowDirection[] {
  const directions = value
    .split(',')
    .map((d) => d.trim().toUpperCase())
    .filter(Boolean);
  const unknown = directions.filter((d) => d !== 'INBOUND' && d !== 'OUTBOUND');
  if (!directions.length || unknown.length) {
    throw new ConfigError(
      `environment variable ${key} must list INBOUND and/or OUTBOUND, comma-separated, got ${JSON.stringify(value)}`,
    );
  }
  return [...new Set(directions)] as FlowDirection[];
}

/**
 * Reads and validates the configuration.
 *
 * @throws ConfigError naming the variable and what it expects
 */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const bucket = env[ENV.bucket];
  if (!bucket) throw new ConfigError(`environment variable ${ENV.bucket} is required`);
  return Object.freeze({
    bucket: matching(
      bucket,
      ENV.bucket,
      BUCKET_PATTERN,
      '3-63 characters of a-z, 0-9 and - (no dots)',
    ),
    keyPrefix: matching(
      optional(env, ENV.keyPrefix, DEFAULTS.keyPrefix),
      ENV.keyPrefix,
      KEY_PREFIX_PATTERN,
      'letters, digits, - and / only',
    ),
    subjectTag: singleLine(optional(env, ENV.subjectTag, DEFAULTS.subjectTag), ENV.subjectTag),
    textBanner: optional(env, ENV.textBanner, DEFAULTS.textBanner),
    htmlBanner: optional(env, ENV.htmlBanner, DEFAULTS.htmlBanner),
    textFooter: optional(env, ENV.textFooter, DEFAULTS.textFooter),
    htmlFooter: optional(env, ENV.htmlFooter, DEFAULTS.htmlFooter),
    markerHeader: matching(
      optional(env, ENV.markerHeader, DEFAULTS.markerHeader),
      ENV.markerHeader,
      HEADER_NAME_PATTERN,
      'a header name starting with X-',
    ),
    directions: Object.freeze(
      directionList(optional(env, ENV.directions, DEFAULTS.directions), ENV.directions),
    ),
  });
}
