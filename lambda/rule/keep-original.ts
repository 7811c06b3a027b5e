import type { Readable } from 'node:stream';
import type { MessageStore } from '../aws/ports';
import { objectKeyFor } from '../object-key';
import type { EventInvocation } from './invocation';
import { eventFields, failureFields } from './log-fields';

/**
 * The untouched original, held back until it is known whether the message changes: only then
 * is it uploaded. A retry that fetched our own output, or a message that goes out as it came,
 * never reaches the bucket.
 */
export interface Keeping {
  /** Uploads it (once): the message changes, or could not be changed. */
  commit(): void;
  /** The key once stored; undefined when it was never committed or failed (logged, not fatal). */
  finish(): Promise<string | undefined>;
}

/**
 * Keeps the original in the originals bucket. Mail comes first: a failure here is logged, and the
 * message is delivered as planned all the same.
 */
export function keepOriginal(
  { event, deps, budget }: EventInvocation,
  store: MessageStore,
  copy: Readable,
): Keeping {
  let upload: Promise<string | undefined> | undefined;
  const key = objectKeyFor(deps.config.keyPrefix, event.invocationId);
  return {
    commit() {
      upload ??= store.put(key, copy, budget.signal).then(
        () => key,
        (error: unknown) => {
          // An upload that stopped reading must not leave the copy filling up.
          copy.destroy();
          deps.log.warn('the original could not be kept', {
            ...eventFields(event),
            ...failureFields(error, 'original-not-kept'),
          });
          return undefined;
        },
      );
    },
    finish() {
      if (!upload) copy.destroy();
      return upload ?? Promise.resolve(undefined);
    },
  };
}
