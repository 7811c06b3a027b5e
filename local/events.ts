import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkMailRunLambdaEvent } from '../lambda/workmail';

/** The repository's folder of saved sync-rule events and the messages they point at. */
export const EVENTS_DIR = join(__dirname, '..', 'events');

/** Reads a saved event by file name (inside `events/`) or by path, as JSON. */
export function loadEvent(nameOrPath: string): WorkMailRunLambdaEvent {
  const path = nameOrPath.includes('/') ? nameOrPath : join(EVENTS_DIR, nameOrPath);
  return JSON.parse(readFileSync(path, 'utf8')) as WorkMailRunLambdaEvent;
}

/** Path of the saved raw message an event's `messageId` points at. */
export function messagePathFor(messageId: string): string {
  return join(EVENTS_DIR, 'messages', `${messageId}.eml`);
}

/**
 * Message ids that can name a file: the local tools write `<messageId>.<kind>.eml` and read
 * `<messageId>.eml`. The service's own ids are letters, digits and hyphens; the API admits any
 * text, so an id such as `../x` is refused before it becomes a path.
 */
export const FILE_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/;
