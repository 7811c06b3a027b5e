import iconv = require('iconv-lite');

import type { BodyKind } from './text-insertion';
import { decodeUnicode, isUnicodeLabel } from './unicode-charsets';

const UTF8_LABELS = new Set(['utf-8', 'utf8']);
const ASCII_LABELS = new Set(['us-ascii', 'ascii', 'ansi_x3.4-1968']);
// Stateful encodings: an ASCII byte inside an escape sequence is not an ASCII character.
const STATEFUL = /^(iso-2022-|utf-7|hz-gb-2312)/;
const ASCII_PROBE = '<body></BODY>\r\n -=_azAZ09';

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A label that promises ASCII only (8-bit bytes under it are undeclared). */
export function isAsciiLabel(label: string): boolean {
  return ASCII_LABELS.has(label);
}

/**
 * Decodes a whole part; undefined when its bytes are not valid in that charset. iconv-lite goes
 * first: Node's WHATWG decoder reads windows-1252 and ISO-8859-1 as Latin-1, so 0x80-0x9F (the
 * euro sign, curly quotes, dashes) would come out as control characters. iconv-lite replaces
 * what it cannot read with U+FFFD, so such output counts as a failure. The WHATWG decoder, in
 * its strict mode, serves the charsets iconv-lite lacks (ISO-2022-JP) and UTF-16/32.
 */
export function decodeStrictly(body: Buffer, label: string): string | undefined {
  if (isUnicodeLabel(label)) return decodeUnicode(body, label);
  if (iconv.encodingExists(label)) {
    const text = iconv.decode(body, label);
    return text.includes('\ufffd') ? undefined : text;
  }
  try {
    return new TextDecoder(label, { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

export function canDecode(label: string): boolean {
  if (isUnicodeLabel(label)) return true;
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return iconv.encodingExists(label);
  }
}

/** Whether the part's own charset can hold the additions (and HTML's markup, in `html`). */
export function encodableInPlace(texts: string[], label: string, kind: BodyKind): boolean {
  const joined = texts.join('');
  if (UTF8_LABELS.has(label)) return true;
  if (STATEFUL.test(label)) return kind === 'text' && isAscii(joined);
  if (isUnicodeLabel(label) || !iconv.encodingExists(label)) return false;
  if (iconv.encode(ASCII_PROBE, label).toString('latin1') !== ASCII_PROBE) return false;
  if (isAscii(joined)) return true;
  if (ASCII_LABELS.has(label)) return false;
  return iconv.decode(iconv.encode(joined, label), label) === joined;
}

/** `text` as the part's bytes, one latin1 character per byte. */
export function toLatin1(text: string, label: string): string {
  if (UTF8_LABELS.has(label)) return Buffer.from(text, 'utf8').toString('latin1');
  return isAscii(text) ? text : iconv.encode(text, label).toString('latin1');
}

/** The text the part's bytes (one latin1 character per byte) hold; undefined if unreadable. */
export function fromLatin1(bytes: string, label: string): string | undefined {
  if (UTF8_LABELS.has(label)) return Buffer.from(bytes, 'latin1').toString('utf8');
  if (isAscii(bytes)) return bytes;
  return iconv.encodingExists(label)
    ? iconv.decode(Buffer.from(bytes, 'latin1'), label)
    : undefined;
}

/** Whether `bytes` decode as UTF-8 to exactly `text` (a lone surrogate would not). */
export function readsBackAs(bytes: Buffer, text: string): boolean {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes) === text;
  } catch {
    return false;
  }
}
