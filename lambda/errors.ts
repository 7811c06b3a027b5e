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

/** GetRawMessageContent answered without a body: a fault of the moment that a retry may cure. */
export class MissingMessageBodyError extends Error {
  override name = 'MissingMessageBodyError';
}
