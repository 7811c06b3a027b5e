import { OwnError } from '../errors';

/** Why the engine would not rewrite a message. The caller then delivers the original. */
export type DeclineReason =
  | 'empty'
  | 'unparseable'
  | 'line-too-long'
  | 'too-large'
  | 'missing-final-boundary'
  | 'ambiguous-boundary'
  | 'bare-cr';

/**
 * The engine declines a message it cannot rewrite safely: broken or beyond the parser's limits,
 * or one WorkMail would refuse. The same bytes are declined again, so this is never retried.
 */
export class RewriteDeclinedError extends OwnError {
  override name = 'RewriteDeclinedError';
  readonly code = 'rewrite-declined';

  constructor(
    readonly reason: DeclineReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
