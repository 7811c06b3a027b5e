import type { Insertion } from './text-insertion';
import { encodeTransfer, hasEightBit, hasLongLine } from './transfer-encoding';

import libqp = require('libqp');

/** RFC 5322 section 2.1.1: at most 998 octets on a line before its CRLF. */
const MAX_LINE = 998;
const LF = 0x0a;
const SOFT_BREAK = Buffer.from('=\r\n');
const IDENTITY = new Set(['', '7bit', '8bit', 'binary']);
const SEVEN_BIT = new Set(['', '7bit']);

interface Cut {
  /** Where the insertion goes in the encoded body. */
  at: number;
  /** What goes there, encoded. */
  bytes: Buffer;
}

/**
 * Puts insertions into a part's encoded body in place, keeping every other encoded byte as it
 * came: only the lines around each insertion are read and written. Undefined when this cannot be
 * done safely (base64, whose groups would all shift; non-ASCII into an identity encoding; a line
 * that would grow too long; an encoded line that does not read back as expected): the caller then
 * encodes the whole body.
 */
export function spliceEncoded(
  raw: Buffer,
  encoding: string,
  insertions: readonly Insertion<Buffer>[],
  decodedLength: number,
): Buffer | undefined {
  // An identity body keeps its encoding only if the whole of it may (as encodeTransfer decides).
  if (
    IDENTITY.has(encoding) &&
    (hasLongLine(raw) || (SEVEN_BIT.has(encoding) && hasEightBit(raw)))
  ) {
    return undefined;
  }
  const cuts: Cut[] = [];
  for (const insertion of insertions) {
    const cut = IDENTITY.has(encoding)
      ? identityCut(raw, insertion)
      : encoding === 'quoted-printable'
        ? quotedPrintableCut(raw, insertion, decodedLength)
        : undefined;
    if (!cut) return undefined;
    cuts.push(cut);
  }
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    if (cut.at < from) return undefined;
    pieces.push(raw.subarray(from, cut.at), cut.bytes);
    from = cut.at;
  }
  pieces.push(raw.subarray(from));
  return Buffer.concat(pieces);
}

function lineAround(raw: Buffer, at: number): { start: number; end: number } {
  const start = at > 0 ? raw.lastIndexOf(LF, at - 1) + 1 : 0;
  const lf = raw.indexOf(LF, at);
  return { start, end: lf < 0 ? raw.length : lf + 1 };
}

function longestLine(bytes: Buffer): number {
  let longest = 0;
  let start = 0;
  for (let lf = bytes.indexOf(LF); ; lf = bytes.indexOf(LF, start)) {
    const end = lf < 0 ? bytes.length : lf;
    const length = end - start - (end > start && bytes[end - 1] === 0x0d ? 1 : 0);
    longest = Math.max(longest, length);
    if (lf < 0) return longest;
    start = lf + 1;
  }
}

/** Identity encodings: decoded offsets are raw offsets; ASCII only, lines short enough. */
function identityCut(raw: Buffer, { at, text }: Insertion<Buffer>): Cut | undefined {
  if (at > raw.length || text.some((byte) => byte > 0x7f)) return undefined;
  const line = lineAround(raw, at);
  const joined = Buffer.concat([raw.subarray(line.start, at), text, raw.subarray(at, line.end)]);
  return longestLine(joined) > MAX_LINE ? undefined : { at, bytes: text };
}

const isHex = (byte: number | undefined) =>
  byte !== undefined &&
  ((byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x46) ||
    (byte >= 0x61 && byte <= 0x66));

/** A decoded line's length without the hard line break that ends it. */
function contentLength(decoded: Buffer): number {
  if (decoded[decoded.length - 1] !== LF) return decoded.length;
  return decoded.length - (decoded.length > 1 && decoded[decoded.length - 2] === 0x0d ? 2 : 1);
}

function decodeLine(raw: Buffer, start: number, end: number): Buffer {
  return libqp.decode(raw.subarray(start, end).toString('latin1'));
}

/**
 * Quoted-printable: finds the encoded line that holds the decoded offset (RFC 2045 makes lines
 * decode independently: the search reads lines from the nearer end of the body, so a banner near
 * the top and a footer near the bottom cost a few lines each), the place in it, and puts the
 * encoded insertion there between soft line breaks. The line is decoded again to check that it
 * reads as the old one with the insertion.
 */
function quotedPrintableCut(
  raw: Buffer,
  { at, text }: Insertion<Buffer>,
  decodedLength: number,
): Cut | undefined {
  if (at <= decodedLength / 2) {
    let lineStart = 0;
    for (let start = 0; start < raw.length || start === 0; ) {
      const lf = raw.indexOf(LF, start);
      const end = lf < 0 ? raw.length : lf + 1;
      const decoded = decodeLine(raw, start, end);
      if (at <= lineStart + contentLength(decoded)) {
        return cutInLine(raw, start, end, decoded, at - lineStart, text);
      }
      if (end === raw.length) return undefined;
      lineStart += decoded.length;
      start = end;
    }
    return undefined;
  }
  let after = 0;
  for (let end = raw.length; end > 0; ) {
    const start = end >= 2 ? raw.lastIndexOf(LF, end - 2) + 1 : 0;
    const decoded = decodeLine(raw, start, end);
    const lineStart = decodedLength - after - decoded.length;
    if (at >= lineStart) return cutInLine(raw, start, end, decoded, at - lineStart, text);
    after += decoded.length;
    end = start;
  }
  return undefined;
}

function cutInLine(
  raw: Buffer,
  start: number,
  end: number,
  decoded: Buffer,
  offset: number,
  text: Buffer,
): Cut | undefined {
  // Not inside the line's own line break.
  if (offset < 0 || offset > contentLength(decoded)) return undefined;
  let i = start;
  for (let count = 0; count < offset && i < end; count++) {
    i += raw[i] === 0x3d && isHex(raw[i + 1]) && isHex(raw[i + 2]) ? 3 : 1;
  }
  const encoded = encodeTransfer(text, 'quoted-printable', true, '\r\n', false).raw;
  const endsLine = encoded[encoded.length - 1] === LF;
  const bytes = Buffer.concat([
    i > start ? SOFT_BREAK : Buffer.alloc(0),
    encoded,
    endsLine ? Buffer.alloc(0) : SOFT_BREAK,
  ]);
  const rewritten = Buffer.concat([raw.subarray(start, i), bytes, raw.subarray(i, end)]);
  const expected = Buffer.concat([decoded.subarray(0, offset), text, decoded.subarray(offset)]);
  const readsBack = libqp.decode(rewritten.toString('latin1')).equals(expected);
  return readsBack && longestLine(rewritten) <= MAX_LINE ? { at: i, bytes } : undefined;
}
