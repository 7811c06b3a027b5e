import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { MessageFlow, MessageStore, StoredObject } from '../lambda/aws/ports';

/**
 * Ports for replay against real AWS that change nothing there: the real Get (each message read
 * once, and kept for the report), a store that keeps the rewritten message in memory instead of
 * uploading it, and a Put that is only recorded. A Put outside a live sync invocation delivers
 * nothing, yet later Gets would return the new content, which misleads.
 */
export function readOnlyPorts(realFlow: MessageFlow) {
  const read = new Map<string, Promise<Buffer>>();
  const content = (messageId: string, signal?: AbortSignal) => {
    let bytes = read.get(messageId);
    if (!bytes) {
      bytes = realFlow.getRawMessage(messageId, signal).then(({ body }) => buffer(body));
      read.set(messageId, bytes);
    }
    return bytes;
  };
  let written: Buffer | undefined;
  let putRequested: StoredObject | undefined;
  const store: MessageStore = {
    async put(key, body) {
      written = await buffer(body);
      return { bucket: 'not-uploaded', key };
    },
  };
  const messageFlow: MessageFlow = {
    async getRawMessage(messageId, signal) {
      const bytes = await content(messageId, signal);
      return { body: Readable.from([bytes]), size: bytes.length };
    },
    async putRawMessage(_messageId, location) {
      putRequested = location;
    },
  };
  return {
    store,
    messageFlow,
    /** The message as AWS served it (read now if the rule never did). */
    original: (messageId: string) => content(messageId),
    /** The content the rule would have put, when it would have put any. */
    wouldPut: (): Buffer | undefined => (putRequested ? written : undefined),
  };
}
