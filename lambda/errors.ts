/** The function's configuration is missing or invalid; raised once, at cold start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The event does not have the shape of a WorkMail synchronous Run Lambda event. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';

  /** Path of the offending field, for example `envelope.recipients[2].address`. */
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`event field ${field} ${problem}`);
    this.field = field;
  }
}

/**
 * The message cannot be rewritten: its MIME structure is broken or beyond the engine's limits.
 * A retry gets the same bytes, so the caller delivers the message unchanged.
 */
export class MessageRewriteError extends Error {
  override name = 'MessageRewriteError';
}

/** The message body ended before the number of bytes the service announced: retry may cure it. */
export class TruncatedMessageError extends Error {
  override name = 'TruncatedMessageError';
  /** Network-level cause, so the SDK's transient-error classification treats it as retryable. */
  readonly code = 'ECONNRESET';
}
