import type { Readable } from 'node:stream';
import type { StoredObject } from '../aws/ports';
import { objectKeyFor } from '../object-key';
import type { EventInvocation } from './invocation';
import { readToEnd } from './read-to-end';

/**
 * Uploads a rewrite's output as it streams, under the key this invocation owns (a retry
 * overwrites its own object), and waits for the rewrite too.
 */
export async function storeOutput<R>(
  { event, deps, budget }: EventInvocation,
  output: Readable,
  done: Promise<R>,
): Promise<{ stored: StoredObject; objectKey: string; outcome: R }> {
  const objectKey = objectKeyFor(deps.config.keyPrefix, event.invocationId);
  const [stored, outcome] = await readToEnd(output, done, (body) =>
    deps.store.put(objectKey, body, budget.signal),
  );
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
