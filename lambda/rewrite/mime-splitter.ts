import { HeaderBlock } from './header-block';
import { describePart, type HeadEnd, type MimePart } from './mime-part';
import { RewriteDeclinedError } from './rewrite-declined';

/**
 * What the splitter reads, in input order. Joined in order, the bytes are the input, exactly:
 * a head's bytes are its header block's (`part.header.toBuffer()`), the others carry `raw`.
 */
export type MimeEvent =
  /** A part's header block: everything up to and including the blank line that ends it. */
  | { type: 'head'; part: MimePart }
  /** Body bytes of a leaf, or of a multipart: its preamble (before the first delimiter) or epilogue. */
  | { type: 'body'; part: MimePart; raw: Buffer }
  /**
   * A delimiter line of the multipart `part`, with the line break in front of it (RFC 2046
   * section 5.1.1 gives that break to the delimiter) and its own line end.
   */
  | { type: 'delimiter'; part: MimePart; close: boolean; raw: Buffer };

/** A header block larger than this is declined (the whole block is held in memory). */
export const MAX_HEAD_BYTES = 1024 * 1024;
/** More parts than this are declined: each costs a little memory and work downstream. */
export const MAX_PARTS = 1000;
/** RFC 2046 allows whitespace after a delimiter; more than a line's worth is not a delimiter. */
const MAX_PADDING = 998;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const EMPTY = Buffer.alloc(0);
const LF_DASHES = Buffer.from('\n--');
const LF_CR_DASHES = Buffer.from('\n\r--');

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09;
}

/** RFC 5322 section 2.2 field name (printable ASCII but colon), optional obsolete space, colon. */
export function isFieldLine(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && (buf[i] as number) > 0x20 && (buf[i] as number) < 0x7f && buf[i] !== 0x3a) i++;
  if (i === start) return false;
  while (i < end && isWhitespace(buf[i])) i++;
  return buf[i] === 0x3a;
}

type LineMatch = { owner: MimePart; close: boolean } | 'prefix' | undefined;

/**
 * A streaming MIME splitter written from RFC 2046 and RFC 5322. Header blocks are held whole;
 * bodies are not walked line by line: the splitter jumps (`indexOf`) to the next line that starts
 * with `--` (also after a lone CR), the only lines that can be delimiters, and passes what lies
 * between as it came. A line that may be a delimiter but is cut by the end of a chunk is kept
 * until the rest arrives, so what is read never depends on how the input was cut.
 *
 * A delimiter of any enclosing multipart ends the parts below it (those stay unclosed), a line
 * that only starts with a delimiter is none (`--b2` is not `--b`), whitespace may follow a
 * delimiter, and a part's headers may end at a blank line, at a line that is no header field (the
 * body starts there), or at the next delimiter. Attached messages are not opened.
 */
export class MimeSplitter {
  private pending = EMPTY;
  private mode: 'head' | 'body' = 'head';
  /** The part whose body is being read; in head mode, the last one (or none yet). */
  private part: MimePart | undefined;
  /** In head mode: the multipart the part being read belongs to (none for the message). */
  private headParent: MimePart | undefined;
  private headChunks: Buffer[] = [];
  private headBytes = 0;
  /** Multiparts whose delimiters count here, the innermost last. */
  private readonly open: MimePart[] = [];
  /** No delimiter of this multipart read yet: its own closing delimiter does not count. */
  private preambleOf: MimePart | undefined;
  /** The body position is at the start of a line with no line break before it in the body. */
  private atLineStart = true;
  private parts = 0;
  /** Where the unread bytes start, set by the reader that stopped. */
  private held = 0;
  /** The last search for `LF CR --`: in `buf` from `from`, found at `at` (-1: none). */
  private crDashes: { buf: Buffer; from: number; at: number } = { buf: EMPTY, from: 0, at: -1 };

  write(chunk: Buffer): MimeEvent[] {
    const input = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    return this.run(input, false);
  }

  end(): MimeEvent[] {
    return this.run(this.pending, true);
  }

  private run(buf: Buffer, final: boolean): MimeEvent[] {
    const out: MimeEvent[] = [];
    let pos = 0;
    for (;;) {
      const next =
        this.mode === 'head'
          ? this.readHead(buf, pos, final, out)
          : this.readBody(buf, pos, final, out);
      if (next === undefined) break;
      pos = next;
    }
    if (final && this.mode === 'head') this.finishHead('end', EMPTY, out);
    // Copied: a view would keep the whole chunk alive.
    this.pending = final ? EMPTY : Buffer.from(buf.subarray(this.held));
    return out;
  }

  private stop(at: number): undefined {
    this.held = at;
    return undefined;
  }

  /** Reads header lines; returns where reading goes on, or undefined to wait for more input. */
  private readHead(
    buf: Buffer,
    from: number,
    final: boolean,
    out: MimeEvent[],
  ): number | undefined {
    let pos = from;
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      if (lf < 0 && !final) {
        if (this.headBytes + buf.length - pos > MAX_HEAD_BYTES) throw headTooLarge();
        return this.stop(pos);
      }
      if (lf < 0 && pos === buf.length) return this.stop(pos);
      const end = lf < 0 ? buf.length : lf + 1;
      const line = buf.subarray(pos, end);
      const match = this.open.length ? this.matchLine(buf, pos, end, lf >= 0, final) : undefined;
      if (match && match !== 'prefix') {
        this.finishHead('delimiter', EMPTY, out);
        return this.delimiter(match, line, out, end);
      }
      const blank = line.length === 1 || (line.length === 2 && line[0] === CR && lf >= 0);
      if (blank && lf >= 0) {
        this.finishHead('blank-line', line, out);
        return end;
      }
      // The message's own headers end only at the blank line, as they always have here; a part's
      // end at the first line that is no field, which readers then show as its body.
      const field = isFieldLine(buf, pos, end) || (this.headBytes > 0 && isWhitespace(buf[pos]));
      if (this.headParent && !field) {
        this.finishHead('body-line', EMPTY, out);
        return pos;
      }
      this.headChunks.push(Buffer.from(line));
      this.headBytes += line.length;
      if (this.headBytes > MAX_HEAD_BYTES) throw headTooLarge();
      pos = end;
    }
  }

  private finishHead(how: HeadEnd, blankLine: Buffer, out: MimeEvent[]) {
    const raw = Buffer.concat([...this.headChunks, blankLine]);
    this.headChunks = [];
    this.headBytes = 0;
    const parent = this.headParent;
    if (parent) parent.children++;
    if (++this.parts > MAX_PARTS) {
      throw new RewriteDeclinedError('unparseable', `the message has more than ${MAX_PARTS} parts`);
    }
    const part = describePart(HeaderBlock.parse(raw, blankLine.length), how, parent);
    out.push({ type: 'head', part });
    this.part = part;
    this.mode = 'body';
    this.atLineStart = true;
    if (part.boundary) {
      this.open.push(part);
      this.preambleOf = part;
    }
  }

  /** Reads body bytes up to the next delimiter; undefined to wait for more input. */
  private readBody(buf: Buffer, pos: number, final: boolean, out: MimeEvent[]): number | undefined {
    const part = this.part as MimePart;
    if (this.open.length === 0) {
      this.emitBody(part, buf, pos, buf.length, out);
      return this.stop(buf.length);
    }
    if (this.atLineStart && pos < buf.length) {
      const lf = buf.indexOf(LF, pos);
      const end = lf < 0 ? buf.length : lf + 1;
      const match = this.matchLine(buf, pos, end, lf >= 0, final);
      if (match === 'prefix') return this.stop(pos);
      if (match) return this.delimiter(match, buf.subarray(pos, end), out, end);
      this.atLineStart = false;
    }
    let from = pos;
    for (;;) {
      let lf = buf.indexOf(LF_DASHES, from);
      const crDashes = this.nextCrDashes(buf, from);
      if (crDashes >= 0 && (lf < 0 || crDashes < lf)) lf = crDashes;
      if (lf < 0) {
        const hold = final ? buf.length : this.tailStart(buf, pos);
        this.emitBody(part, buf, pos, hold, out);
        return this.stop(hold);
      }
      const start = lf + 1;
      const lineLf = buf.indexOf(LF, start);
      const end = lineLf < 0 ? buf.length : lineLf + 1;
      const match = this.matchLine(buf, start, end, lineLf >= 0, final);
      if (match === undefined) {
        from = start;
        continue;
      }
      const breakAt = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
      this.emitBody(part, buf, pos, breakAt, out);
      if (match === 'prefix') return this.stop(breakAt);
      return this.delimiter(match, buf.subarray(breakAt, end), out, end);
    }
  }

  /**
   * The next `LF CR --` at or after `from`. Such lines are rare, and a search that finds none
   * would otherwise run to the end of the buffer again for every part in it.
   */
  private nextCrDashes(buf: Buffer, from: number): number {
    const known = this.crDashes;
    if (known.buf !== buf || (known.at >= 0 && known.at < from) || known.from > from) {
      this.crDashes = { buf, from, at: buf.indexOf(LF_CR_DASHES, from) };
    }
    return this.crDashes.at;
  }

  /**
   * Where the bytes that may still begin a delimiter start, at the end of a chunk: the last line
   * when it may grow into one (with the break in front of it), or a last CR (it may precede LF).
   */
  private tailStart(buf: Buffer, pos: number): number {
    const lf = buf.lastIndexOf(LF);
    if (lf >= pos && this.matchLine(buf, lf + 1, buf.length, false, false) === 'prefix') {
      return lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    }
    return buf.length > pos && buf[buf.length - 1] === CR ? buf.length - 1 : buf.length;
  }

  private emitBody(part: MimePart, buf: Buffer, from: number, to: number, out: MimeEvent[]) {
    if (to > from) out.push({ type: 'body', part, raw: buf.subarray(from, to) });
  }

  private delimiter(
    match: { owner: MimePart; close: boolean },
    raw: Buffer,
    out: MimeEvent[],
    next: number,
  ): number {
    const { owner, close } = match;
    // Multiparts below the owner end here without their closing delimiter.
    while (this.open[this.open.length - 1] !== owner) this.open.pop();
    this.preambleOf = undefined;
    out.push({ type: 'delimiter', part: owner, close, raw: Buffer.from(raw) });
    this.atLineStart = true;
    if (close) {
      owner.closed = true;
      this.open.pop();
      this.part = owner;
      this.mode = 'body';
    } else {
      this.headParent = owner;
      this.mode = 'head';
    }
    return next;
  }

  /**
   * Whether the line at `start` (up to `end`, which is past its LF when `complete`) is a delimiter
   * of an open multipart, the innermost first; 'prefix' when the line is cut short and may still
   * become one. RFC 2046 section 5.1.1: `--` boundary, `--` for the last, whitespace, line end;
   * a CR in front (after a lone CR line end) and CRs before the LF are accepted as other readers do.
   */
  private matchLine(
    buf: Buffer,
    start: number,
    end: number,
    complete: boolean,
    final: boolean,
  ): LineMatch {
    let prefix = false;
    for (let i = this.open.length - 1; i >= 0; i--) {
      const owner = this.open[i] as MimePart;
      const result = delimiterKind(buf, start, end, owner.boundary as Buffer, complete || final);
      if (result === 'prefix') prefix = true;
      else if (result !== undefined && !(result === 'close' && owner === this.preambleOf)) {
        return { owner, close: result === 'close' };
      }
    }
    return prefix && !complete && !final ? 'prefix' : undefined;
  }
}

function headTooLarge(): RewriteDeclinedError {
  return new RewriteDeclinedError(
    'unparseable',
    `a header block is larger than ${MAX_HEAD_BYTES} bytes`,
  );
}

/**
 * Reads one line against one boundary: 'open', 'close', undefined (no delimiter) or 'prefix' (the
 * bytes run out before it is decided; `ended` says the input has no more).
 */
function delimiterKind(
  buf: Buffer,
  start: number,
  end: number,
  boundary: Buffer,
  ended: boolean,
): 'open' | 'close' | 'prefix' | undefined {
  // Bytes that run out before the line is decided: it may still become a delimiter.
  const cut = ended ? undefined : 'prefix';
  let i = start;
  if (buf[i] === CR) i++;
  for (let k = 0; k < 2; k++, i++) {
    if (i >= end) return cut;
    if (buf[i] !== DASH) return undefined;
  }
  for (let k = 0; k < boundary.length; k++, i++) {
    if (i >= end) return cut;
    if (buf[i] !== boundary[k]) return undefined;
  }
  let close = false;
  if (i < end && buf[i] === DASH) {
    if (i + 1 >= end) return cut;
    if (buf[i + 1] !== DASH) return undefined;
    close = true;
    i += 2;
  }
  const padStart = i;
  while (i < end && isWhitespace(buf[i])) i++;
  if (i - padStart > MAX_PADDING) return undefined;
  while (i < end && buf[i] === CR) i++;
  if (i < end && buf[i] === LF) i++;
  if (i < end) return undefined;
  if (buf[i - 1] === LF) return close ? 'close' : 'open';
  // The input ended on this line: only the closing delimiter may go without a line end.
  if (ended) return close ? 'close' : undefined;
  return 'prefix';
}
