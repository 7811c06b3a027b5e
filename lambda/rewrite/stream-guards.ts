import { Transform, type TransformCallback } from 'node:stream';
import { RewriteDeclinedError } from './rewrite-declined';

/**
 * Turns bare LF line endings into CRLF, as SMTP mail has them. WorkMail hands over CRLF already,
 * so for its messages this passes every chunk through untouched.
 */
export class CrlfNormalizer extends Transform {
  /** Line feeds that had no carriage return before them. */
  fixed = 0;
  private lastByte = -1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    const pieces: Buffer[] = [];
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, lf + 1)) {
      const before = lf > 0 ? chunk[lf - 1] : this.lastByte;
      if (before === 0x0d) continue;
      pieces.push(chunk.subarray(start, lf), CR);
      start = lf;
      this.fixed++;
    }
    if (chunk.length) this.lastByte = chunk[chunk.length - 1] ?? -1;
    if (start === 0) return done(null, chunk);
    pieces.push(chunk.subarray(start));
    done(null, Buffer.concat(pieces));
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
    for (let cr = chunk.indexOf(0x0d); cr >= 0; cr = chunk.indexOf(0x0d, cr + 1)) {
      if (cr + 1 < chunk.length && chunk[cr + 1] !== 0x0a) return done(this.bareCr());
    }
    if (chunk.length > 0) this.endsWithCr = chunk[chunk.length - 1] === 0x0d;
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      // Counted up to the LF: the CR before it and the line's octets, less the CR.
      if (this.lineLength + (lf - start) - 1 > MAX_LINE_OCTETS) return done(this.longLine());
      this.lineLength = 0;
      start = lf + 1;
    }
    this.lineLength += chunk.length - start;
    // A line still open can only grow: fail as soon as it passes the limit (plus its CR).
    if (this.lineLength > MAX_LINE_OCTETS + 1) return done(this.longLine());
    done(null, chunk);
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
