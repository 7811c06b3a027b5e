import { buffer } from 'node:stream/consumers';
import type { MessageFlow, MessageStore, StoredObject } from '../lambda/ports';

/**
 * Ports for replay against real AWS that change nothing there: the real Get, a store that keeps
 * the rewritten message in memory instead of uploading it, and a Put that is only recorded. A
 * Put outside a live sync invocation delivers nothing, yet later Gets would return the new
 * content, which misleads.
 */
export function readOnlyPorts(realFlow: MessageFlow) {
  let written: Buffer | undefined;
  let putRequested: StoredObject | undefined;
  const store: MessageStore = {
    async put(key, body) {
      written = await buffer(body);
      return { bucket: 'not-uploaded', key };
    },
  };
  const messageFlow: MessageFlow = {
    getRawMessage: (messageId, signal) => realFlow.getRawMessage(messageId, signal),
    async putRawMessage(_messageId, location) {
      putRequested = location;
    },
  };
  return {
    store,
    messageFlow,
    /** The content the rule would have put, when it would have put any. */
    wouldPut: (): Buffer | undefined => (putRequested ? written : undefined),
  };
}
