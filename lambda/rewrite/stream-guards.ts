import { Transform, type TransformCallback } from 'node:stream';
import { RewriteDeclinedError } from './rewrite-declined';

/**
 * LFs without a CR before them; `before` is the byte before `chunk` (-1 for none). A loop of
 * native `indexOf` calls: cheaper than a regular expression, which needs the bytes as a string.
 */
export function countBareLineFeeds(chunk: Buffer, before: number): number {
  let count = 0;
  for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, lf + 1)) {
    if ((lf > 0 ? chunk[lf - 1] : before) !== 0x0d) count++;
  }
  return count;
}

/** Whether a CR in `chunk` is followed by anything but LF (a CR that ends it is not judged). */
function hasBareCr(chunk: Buffer): boolean {
  for (
    let cr = chunk.indexOf(0x0d);
    cr >= 0 && cr + 1 < chunk.length;
    cr = chunk.indexOf(0x0d, cr + 1)
  ) {
    if (chunk[cr + 1] !== 0x0a) return true;
  }
  return false;
}

/**
 * Turns bare LF line endings into CRLF; `before` is the byte written just before `chunk` (-1 for
 * none), so an LF that opens a chunk is judged like any other.
 */
export function repairLineEnds(chunk: Buffer, before: number): { bytes: Buffer; fixed: number } {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, lf + 1)) {
    if ((lf > 0 ? chunk[lf - 1] : before) === 0x0d) continue;
    pieces.push(chunk.subarray(start, lf), CR);
    start = lf;
  }
  if (pieces.length === 0) return { bytes: chunk, fixed: 0 };
  pieces.push(chunk.subarray(start));
  return { bytes: Buffer.concat(pieces), fixed: pieces.length / 2 - 0.5 };
}

/**
 * Turns bare LF line endings into CRLF, as SMTP mail has them. WorkMail hands over CRLF already,
 * so for its messages this passes every chunk through untouched.
 */
export class CrlfNormalizer extends Transform {
  /** Line feeds that had no carriage return before them. */
  fixed = 0;
  private lastByte = -1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    const repaired = repairLineEnds(chunk, this.lastByte);
    this.fixed += repaired.fixed;
    if (chunk.length) this.lastByte = chunk[chunk.length - 1] ?? -1;
    done(null, repaired.bytes);
  }
}
const CR = Buffer.from([0x0d]);

/** RFC 5322 section 2.1.1: at most 998 octets on a line before its CRLF. */
export const MAX_LINE_OCTETS = 998;

/**
 * Checks what WorkMail would refuse in the output: a line longer than 998 octets, a carriage
 * return that ends no line (SMTP allows CR only before LF; LF-only input was normalised on the way
 * in, a bare CR is left to decline rather than "repaired" inside a part), or a message larger
 * than the limit. Fails with RewriteDeclinedError, so nothing half-checked is used.
 */
export class OutputLimits extends Transform {
  bytes = 0;
  private lineLength = 0;
  private endsWithCr = false;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      return done(
        new RewriteDeclinedError(
          'too-large',
          `the rewritten message would pass ${this.maxBytes} bytes`,
        ),
      );
    }
    if (this.endsWithCr && chunk.length > 0 && chunk[0] !== 0x0a) return done(this.bareCr());
    // One regular-expression scan: a loop over every CR would step once per line.
    if (hasBareCr(chunk)) return done(this.bareCr());
    if (chunk.length > 0) this.endsWithCr = chunk[chunk.length - 1] === 0x0d;
    const long = this.longLineIn(chunk);
    done(long ? this.longLine() : null, long ? undefined : chunk);
  }

  /**
   * Whether a line passes the limit. Jumps: the last LF within the next 1,000 bytes of a line's
   * start begins the next line to look at, so CRLF text costs one search per 1,000 bytes rather
   * than one per line.
   */
  private longLineIn(chunk: Buffer): boolean {
    // A line counts its octets and its CR up to the LF: MAX + 1 bytes before the LF at most.
    const most = MAX_LINE_OCTETS + 1;
    let start = -this.lineLength;
    for (;;) {
      const windowEnd = start + most + 1;
      if (windowEnd > chunk.length) {
        const lf = chunk.lastIndexOf(0x0a);
        this.lineLength = lf >= Math.max(start, 0) ? chunk.length - lf - 1 : chunk.length - start;
        return this.lineLength > most;
      }
      const lf = chunk.lastIndexOf(0x0a, windowEnd - 1);
      if (lf < Math.max(start, 0)) return true;
      start = lf + 1;
    }
  }

  override _flush(done: TransformCallback) {
    if (this.endsWithCr) return done(this.bareCr());
    // The last line has no CRLF, so the CR allowance above does not apply to it.
    done(this.lineLength > MAX_LINE_OCTETS ? this.longLine() : null);
  }

  private bareCr() {
    return new RewriteDeclinedError(
      'bare-cr',
      'a carriage return ends no line, which WorkMail refuses',
    );
  }

  private longLine() {
    return new RewriteDeclinedError(
      'line-too-long',
      `a line is longer than ${MAX_LINE_OCTETS} octets, which WorkMail refuses`,
    );
  }
}
