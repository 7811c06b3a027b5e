import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { escapeHtml } from './html-escape';

import libqp = require('libqp');

import { HeaderBlock } from './header-block';
import { htmlMarkOpening, markToken } from './html-marks';
import { RewriteDeclinedError } from './rewrite-declined';
import type { BodyText } from './rewrite-rules';
import { CrlfNormalizer, OutputLimits } from './stream-guards';
import { newSubjectLine, tagSubjectLine } from './subject';

/** What a wrapping message carries. */
export interface WrapOptions {
  /** The cover note: shown above the attached original. */
  note: BodyText;
  subjectTag?: string;
  marker: { header: string; value: string };
  maxOutputBytes: number;
  /** Largest original header block read before the cover is written. */
  maxHeaderBytes?: number;
}

const CRLF = '\r\n';
// Headers that describe the original body; the wrapper's own replace them.
const BODY_HEADERS = /^(content-[a-z-]+|mime-version)$/;

/** Passes the original through, after the wrapper's head and cover, then closes the wrapper. */
class Envelope extends Transform {
  private head: Buffer[] = [];
  private headSize = 0;
  private started = false;

  constructor(
    private readonly options: WrapOptions,
    private readonly boundary: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    if (this.started) return done(null, chunk);
    this.head.push(chunk);
    this.headSize += chunk.length;
    const buffered = Buffer.concat(this.head, this.headSize);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.headSize > (this.options.maxHeaderBytes ?? 1024 * 1024)) {
        return done(
          new RewriteDeclinedError('unparseable', 'the header block is too large to wrap'),
        );
      }
      return done();
    }
    this.started = true;
    this.push(this.wrapperHead(buffered.subarray(0, end + 2)));
    done(null, buffered);
  }

  override _flush(done: TransformCallback) {
    if (!this.started) {
      if (this.headSize === 0)
        return done(new RewriteDeclinedError('empty', 'the message is empty'));
      this.push(this.wrapperHead(Buffer.concat(this.head, this.headSize)));
      this.push(Buffer.concat(this.head, this.headSize));
    }
    done(null, Buffer.from(`${CRLF}--${this.boundary}--${CRLF}`));
  }

  private wrapperHead(originalHead: Buffer): Buffer {
    const lines = HeaderBlock.parse(originalHead, 0).fields.filter(
      (line) =>
        !BODY_HEADERS.test(line.key) && line.key !== this.options.marker.header.toLowerCase(),
    );
    const { subjectTag, marker } = this.options;
    const kept = lines.map((line) => {
      if (line.key !== 'subject' || !subjectTag) return line.line;
      return tagSubjectLine(line.line, subjectTag) ?? line.line;
    });
    if (subjectTag && !lines.some((line) => line.key === 'subject'))
      kept.push(newSubjectLine(subjectTag));
    const b = this.boundary;
    const head = [
      ...kept,
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
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment; filename="original-message.eml"',
      'Content-Transfer-Encoding: 8bit',
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
 * Wraps a message whole: a new message with the original's headers (the subject tagged) carries a
 * cover note and the original, byte for byte, as an attached `message/rfc822`. For mail whose
 * content cannot take a banner (signed, or broken). Attachment scanners see the original only
 * inside the attachment: policies choose this knowingly.
 *
 * The boundary derives from the marker's value, so a retried invocation writes the same bytes.
 */
export function wrapMessage(
  original: Readable,
  options: WrapOptions,
): { output: Readable; done: Promise<void> } {
  const boundary = `wrap-${createHash('sha256').update(options.marker.value).digest('hex').slice(0, 32)}`;
  const output = new PassThrough();
  const done = pipeline(
    original,
    new CrlfNormalizer(),
    new Envelope(options, boundary),
    new OutputLimits(options.maxOutputBytes),
    output,
  );
  done.catch(() => undefined);
  return { output, done };
}
