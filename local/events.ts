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
