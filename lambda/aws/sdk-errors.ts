import { types } from 'node:util';
import {
  isServerError,
  isThrottlingError,
  isTransientError,
} from '@smithy/service-error-classification';
import { OwnError } from '../errors';
import { ServiceError, type ServiceFailure } from './port-errors';

/** The Message Flow API's own errors, by the name the SDK gives them. */
const MESSAGE_FLOW_ERRORS: Record<string, ServiceFailure> = {
  MessageFrozen: 'message-frozen',
  MessageRejected: 'message-rejected',
  ResourceNotFoundException: 'message-not-found',
  InvalidContentLocation: 'invalid-content-location',
};

/** S3's errors whose name says what to do. */
const S3_ERRORS: Record<string, ServiceFailure> = {
  // 409 while another conditional write of the same key is under way: an earlier attempt of this
  // invocation is storing it, and the next attempt will find it stored.
  ConditionalRequestConflict: 'transient-error',
};

/**
 * The port's error for what an SDK call failed with. Errors that did not come from a service or
 * its connection (our own, a stream closed by the rewrite) pass as they are.
 */
export function fromSdkError(error: unknown): unknown {
  if (!types.isNativeError(error) || error instanceof OwnError) return error;
  const sdkError = error as Parameters<typeof isThrottlingError>[0] & Error;
  const failure: ServiceFailure | undefined =
    MESSAGE_FLOW_ERRORS[error.name] ??
    S3_ERRORS[error.name] ??
    (isThrottlingError(sdkError)
      ? 'throttled'
      : isTransientError(sdkError) || isServerError(sdkError)
        ? 'transient-error'
        : '$metadata' in error
          ? 'service-failed'
          : undefined);
  return failure ? new ServiceError(failure, error.name, error.message, { cause: error }) : error;
}

/** Runs an SDK call, failing with the port's error. */
export async function portCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromSdkError(error);
  }
}
