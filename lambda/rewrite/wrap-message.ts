import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { escapeHtml } from './html-escape';

import libqp = require('libqp');

import { arrivalDate, rfc5322Date } from './arrival-date';
import { HeaderBlock } from './header-block';
import { AT_MOST_ONCE } from './header-rules';
import { htmlMarkOpening, markToken } from './html-marks';
import { RewriteDeclinedError } from './rewrite-declined';
import type { BodyText } from './rewrite-rules';
import { CrlfNormalizer, MAX_LINE_OCTETS, OutputLimits } from './stream-guards';
import { newSubjectLine, tagSubjectLine } from './subject';

/**
 * How the original is attached. `message`: as `message/rfc822`, byte for byte, which readers open
 * in place (and where a signature still verifies); only for an original that meets WorkMail's
 * content rules itself. `octets`: base64 `application/octet-stream` named `original.eml`, which
 * carries any bytes (bare CR, lines of any length, broken structure) through those rules.
 */
export type WrapAttachment = 'message' | 'octets';

/** What a wrapping message carries. */
export interface WrapOptions {
  /** The cover note: shown above the attached original. */
  note: BodyText;
  subjectTag?: string;
  marker: { header: string; value: string };
  maxOutputBytes: number;
  /** Largest original header block read before the cover is written. */
  maxHeaderBytes?: number;
  attach: WrapAttachment;
  /** The wrapper's `From:` when the original has none (WorkMail requires one). */
  from: string;
  /** The clock, for a `Date:` when the original has none and no `Received:` date either. */
  now: () => Date;
}

const CRLF = '\r\n';
// Headers that describe the original body; the wrapper's own replace them.
const BODY_HEADERS = /^(content-[a-z-]+|mime-version)$/;
// Raw base64 bytes per output line: 57 bytes make 76 characters (RFC 2045 section 6.8).
const BASE64_LINE_BYTES = 57;

/** Whether a header's raw lines meet WorkMail's line rules (the wrapper must not inherit a break). */
function fitsLineRules(line: string): boolean {
  return line
    .split(CRLF)
    .every((physical) => physical.length <= MAX_LINE_OCTETS && !/[\r\n\0]/.test(physical));
}

/** The end of the header block (after its blank line), in raw bytes that may use bare LF. */
function headEnd(buffered: Buffer): number {
  const crlf = buffered.indexOf('\r\n\r\n');
  const lf = buffered.indexOf('\n\n');
  if (crlf < 0) return lf < 0 ? -1 : lf + 2;
  return lf < 0 || crlf + 2 < lf ? crlf + 4 : lf + 2;
}

/** Base64 in lines of 76 characters, streaming: whole lines go out, the rest waits. */
class Base64Lines {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): Buffer {
    const data = Buffer.concat([this.pending, chunk]);
    const whole = data.length - (data.length % BASE64_LINE_BYTES);
    this.pending = data.subarray(whole);
    return this.lines(data.subarray(0, whole));
  }

  end(): Buffer {
    const rest = this.lines(this.pending);
    this.pending = Buffer.alloc(0);
    return rest;
  }

  private lines(data: Buffer): Buffer {
    const out: string[] = [];
    for (let at = 0; at < data.length; at += BASE64_LINE_BYTES) {
      out.push(data.subarray(at, at + BASE64_LINE_BYTES).toString('base64'), CRLF);
    }
    return Buffer.from(out.join(''), 'latin1');
  }
}

/** Passes the original through, after the wrapper's head and cover, then closes the wrapper. */
class Envelope extends Transform {
  private head: Buffer[] = [];
  private headSize = 0;
  private started = false;
  private readonly base64: Base64Lines | undefined;

  constructor(
    private readonly options: WrapOptions,
    private readonly boundary: string,
  ) {
    super();
    this.base64 = options.attach === 'octets' ? new Base64Lines() : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    if (this.started) return done(null, this.body(chunk));
    this.head.push(chunk);
    this.headSize += chunk.length;
    const buffered = Buffer.concat(this.head, this.headSize);
    const end = headEnd(buffered);
    if (end < 0) {
      if (this.headSize > (this.options.maxHeaderBytes ?? 1024 * 1024)) {
        return done(
          new RewriteDeclinedError('unparseable', 'the header block is too large to wrap'),
        );
      }
      return done();
    }
    this.started = true;
    this.push(this.wrapperHead(buffered.subarray(0, end)));
    done(null, this.body(buffered));
  }

  override _flush(done: TransformCallback) {
    if (!this.started) {
      if (this.headSize === 0)
        return done(new RewriteDeclinedError('empty', 'the message is empty'));
      const whole = Buffer.concat(this.head, this.headSize);
      this.push(this.wrapperHead(whole));
      this.push(this.body(whole));
    }
    const rest = this.base64?.end() ?? Buffer.from(CRLF);
    done(null, Buffer.concat([rest, Buffer.from(`--${this.boundary}--${CRLF}`)]));
  }

  private body(chunk: Buffer): Buffer {
    return this.base64 ? this.base64.push(chunk) : chunk;
  }

  /** The original's headers that a reader sees, fit for WorkMail, and what it requires. */
  private keptHeaders(originalHead: Buffer): string[] {
    const normalized = originalHead.toString('latin1').replace(/\r?\n/g, CRLF);
    const blankLine = normalized.endsWith(`${CRLF}${CRLF}`) || normalized === CRLF ? 2 : 0;
    const header = HeaderBlock.parse(Buffer.from(normalized, 'latin1'), blankLine);
    const { subjectTag, marker } = this.options;
    const seen = new Set<string>();
    const kept: string[] = [];
    for (const { key, line } of header.fields) {
      // A line that is no header field (key '') must not reach the wrapper's head.
      if (!key || BODY_HEADERS.test(key) || key === marker.header.toLowerCase()) continue;
      // Of a header allowed once, the first: the attached original keeps them all.
      if (!fitsLineRules(line) || (AT_MOST_ONCE.has(key) && seen.has(key))) continue;
      seen.add(key);
      kept.push(
        key === 'subject' && subjectTag ? (tagSubjectLine(line, subjectTag) ?? line) : line,
      );
    }
    if (subjectTag && !seen.has('subject')) kept.push(newSubjectLine(subjectTag));
    if (!seen.has('from')) kept.push(`From: ${this.options.from}`);
    if (!seen.has('date')) {
      const received = header.values('received');
      kept.push(`Date: ${rfc5322Date(arrivalDate(received) ?? this.options.now())}`);
    }
    return kept;
  }

  private wrapperHead(originalHead: Buffer): Buffer {
    const { marker, attach } = this.options;
    const b = this.boundary;
    const attachment =
      attach === 'message'
        ? [
            'Content-Type: message/rfc822',
            'Content-Disposition: attachment; filename="original-message.eml"',
            'Content-Transfer-Encoding: 8bit',
          ]
        : [
            'Content-Type: application/octet-stream; name="original.eml"',
            'Content-Disposition: attachment; filename="original.eml"',
            'Content-Transfer-Encoding: base64',
          ];
    const head = [
      ...this.keptHeaders(originalHead),
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${b}"`,
      `${marker.header}: ${marker.value}`,
      '',
      `--${b}`,
      `Content-Type: multipart/alternative; boundary="${b}-note"`,
      '',
      ...coverParts(this.options.note, `${b}-note`, markToken(this.options.marker.value)),
      `--${b}-note--`,
      '',
      `--${b}`,
      ...attachment,
      '',
      '',
    ];
    return Buffer.from(head.join(CRLF).replace(/\r?\n/g, CRLF), 'latin1');
  }
}

function qp(text: string): string {
  return libqp.wrap(libqp.encode(Buffer.from(text.replace(/\r?\n/g, CRLF), 'utf8')), 76);
}

function coverParts(note: BodyText, boundary: string, token: string): string[] {
  const text = note.text ?? (note.html ?? '').replace(/<[^>]*>/g, '');
  const html = note.html ?? escapeHtml(text);
  const part = (type: string, body: string) => [
    `--${boundary}`,
    `Content-Type: ${type}; charset=utf-8`,
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp(body),
  ];
  return [
    ...part('text/plain', text),
    ...part(
      'text/html',
      `<html><body>${htmlMarkOpening('banner', token)}${html}</div></body></html>`,
    ),
  ];
}

/**
 * Wraps a message whole: a new message with the original's headers (the subject tagged; at most
 * one of each header RFC 5322 allows once; none whose lines break WorkMail's rules; `From:` and
 * `Date:` added when missing) carries a cover note and the original as an attachment (see
 * `WrapAttachment`). For mail whose content cannot take a banner (signed, or broken). Attachment
 * scanners see the original only inside the attachment: policies choose this knowingly.
 *
 * The boundary derives from the marker's value, so a retried invocation writes the same bytes.
 */
export function wrapMessage(
  original: Readable,
  options: WrapOptions,
): { output: Readable; done: Promise<void> } {
  const boundary = `wrap-${createHash('sha256').update(options.marker.value).digest('hex').slice(0, 32)}`;
  const output = new PassThrough();
  const stages: NodeJS.ReadWriteStream[] =
    options.attach === 'message' ? [new CrlfNormalizer()] : [];
  const done = pipeline([
    original,
    ...stages,
    new Envelope(options, boundary),
    new OutputLimits(options.maxOutputBytes),
    output,
  ]);
  done.catch(() => undefined);
  return { output, done };
}
