/**
 * Base of every error this project raises. Failures are classified with `instanceof` and the
 * stable `code`, never with a class name: the deployed bundle is minified, which renames classes.
 */
export abstract class OwnError extends Error {
  abstract readonly code: string;
}

/** The function's configuration is missing or invalid; raised once, at cold start. */
export class ConfigError extends OwnError {
  override name = 'ConfigError';
  readonly code = 'invalid-config';
}

/** The event does not have the shape of a WorkMail synchronous Run Lambda event. */
export class InvalidEventError extends OwnError {
  override name = 'InvalidEventError';
  readonly code = 'invalid-event';

  /** Path of the offending field, for example `envelope.recipients[2].address`. */
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`event field ${field} ${problem}`);
    this.field = field;
  }
}
