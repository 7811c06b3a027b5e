import { isCalendarReply } from './calendar-reply';
import type { MimePart } from './mime-part';
import type { MimeEvent } from './mime-splitter';

/** Calendar answers are small: an alternative larger than this is not one worth waiting for. */
const MAX_LOOKAHEAD_BYTES = 1024 * 1024;

function within(part: MimePart, ancestor: MimePart): boolean {
  for (let p: MimePart | undefined = part; p; p = p.parent) if (p === ancestor) return true;
  return false;
}

/**
 * Holds the events of a multipart/alternative until it ends or a calendar answer
 * (`text/calendar; method=REPLY`) shows up in it. Decided by structure, not by where a chunk
 * happened to end.
 */
export class CalendarLookahead {
  readonly events: MimeEvent[] = [];
  private bytes = 0;

  constructor(private readonly alternative: MimePart) {}

  /** Takes the next event; says whether a calendar answer was found or the wait is over. */
  add(event: MimeEvent): 'answer' | 'ended' | 'waiting' {
    this.events.push(event);
    if (event.type === 'head') {
      if (isCalendarReply(event.part.header.first('content-type') ?? '')) return 'answer';
      return 'waiting';
    }
    this.bytes += event.raw.length;
    const closes =
      event.type === 'delimiter' &&
      (event.part === this.alternative ? event.close : !within(event.part, this.alternative));
    return closes || this.bytes > MAX_LOOKAHEAD_BYTES ? 'ended' : 'waiting';
  }
}
