import type { Readable } from 'node:stream';
import type { StoredObject } from '../aws/ports';
import { type KeyVariant, objectKeyFor } from '../object-key';
import type { EventInvocation } from './invocation';
import { eventFields } from './log-fields';
import { readToEnd } from './read-to-end';

/**
 * Uploads a rewrite's output as it streams, under the key this invocation owns (a variant for
 * the wrapped or the repaired message, each under a key of its own), and waits for the rewrite too. The
 * write never replaces an object: a retry that finds its earlier attempt's object puts that one.
 */
export async function storeOutput<R>(
  { event, deps, budget }: EventInvocation,
  output: Readable,
  done: Promise<R>,
  variant?: KeyVariant,
): Promise<{ stored: StoredObject; objectKey: string; outcome: R }> {
  const objectKey = objectKeyFor(deps.config.keyPrefix, event.invocationId, variant);
  const [stored, outcome] = await readToEnd(output, done, (body) =>
    deps.store.put(objectKey, body, budget.signal),
  );
  if (stored.alreadyStored) {
    deps.log.info(
      'an earlier attempt of this invocation stored the rewritten message: putting that one',
      { ...eventFields(event), objectKey },
    );
  }
  return { stored, objectKey, outcome };
}

/** Replaces the message's content with the stored object (PutRawMessageContent). */
export async function putContent(
  { event, deps, budget }: EventInvocation,
  stored: StoredObject,
): Promise<void> {
  // Never put once the budget ran out: the answer is due, and the fallback gives it.
  budget.signal.throwIfAborted();
  await deps.messageFlow.putRawMessage(event.messageId, stored, budget.signal);
}
