import type { MimeEvent } from './mime-splitter';

/** An event's bytes: a head's as its (possibly edited) header block gives them. */
export function eventBytes(event: MimeEvent): Buffer {
  return event.type === 'head' ? event.part.header.toBuffer() : event.raw;
}

/** The bytes of split events, in order: the input again when nothing was edited. */
export function joinEvents(events: Iterable<MimeEvent>): Buffer {
  const pieces: Buffer[] = [];
  for (const event of events) pieces.push(eventBytes(event));
  return Buffer.concat(pieces);
}
