import { partName } from '../../lambda/rewrite/mime-part';
import { type MimeEvent, MimeSplitter } from '../../lambda/rewrite/mime-splitter';

/** One event with its bytes, adjacent body bytes of one part merged (chunking aside). */
export interface FlatEvent {
  type: MimeEvent['type'];
  part: string;
  bytes: string;
  close?: boolean;
}

/** Splits `raw` written in pieces of `chunk` bytes (or whole); returns the events, flattened. */
export function splitEvents(raw: Buffer, chunk = raw.length): FlatEvent[] {
  const splitter = new MimeSplitter();
  const events: MimeEvent[] = [];
  for (let at = 0; at < raw.length; at += Math.max(chunk, 1)) {
    events.push(...splitter.write(raw.subarray(at, at + Math.max(chunk, 1))));
  }
  events.push(...splitter.end());
  const flat: FlatEvent[] = [];
  for (const event of events) {
    const bytes = (event.type === 'head' ? event.part.header.toBuffer() : event.raw).toString(
      'latin1',
    );
    const last = flat[flat.length - 1];
    const part = partName(event.part);
    if (event.type === 'body' && last?.type === 'body' && last.part === part) {
      last.bytes += bytes;
      continue;
    }
    flat.push({
      type: event.type,
      part,
      bytes,
      ...(event.type === 'delimiter' ? { close: event.close } : {}),
    });
  }
  return flat;
}
