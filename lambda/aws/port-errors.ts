import { OwnError } from '../errors';

/** What a port's call failed with, in the rule's own terms (the adapters translate to these). */
export type ServiceFailure =
  /** Redirected mail cannot be updated. */
  | 'message-frozen'
  /** The service refused the rewritten MIME. */
  | 'message-rejected'
  /** Older than 24 hours, or not in this organization. */
  | 'message-not-found'
  /** The bucket's policy, region or owner is wrong for PutRawMessageContent. */
  | 'invalid-content-location'
  /** GetRawMessageContent answered without a body. */
  | 'message-body-missing'
  | 'throttled'
  /** A fault of the moment (5xx, a reset connection, a timeout): a retry may cure it. */
  | 'transient-error'
  /** Any other refusal (access denied, no such bucket...): a retry would fail the same way. */
  | 'service-failed';

/**
 * A service call failed. `name` is the service's own error name (safe: the SDK sets it as a
 * string), kept for the logs; `code` is what the rule decides on; the SDK error is the `cause`.
 * Its message is the service's text, which may quote the message: log only what is safe of it.
 */
export class ServiceError extends OwnError {
  constructor(
    readonly code: ServiceFailure,
    name: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = name;
  }
}
