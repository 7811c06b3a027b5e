import libqp = require('libqp');

/** RFC 5322 section 2.1.1: at most 998 characters on a line, CRLF excluded. */
const MAX_LINE_LENGTH = 998;
const WRAP_AT = 76;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const EQUALS = 0x3d;
/** Each byte's value as a hexadecimal digit, else -1. */
const HEX = new Int8Array(256).fill(-1);
for (const [first, value] of [
  [0x30, 0],
  [0x41, 10],
  [0x61, 10],
] as const) {
  for (let i = 0; i < (value ? 6 : 10); i++) HEX[first + i] = value + i;
}

/** RFC 2045 section 6.1: the encodings this engine reads ('' is none: 7bit). */
const READABLE = new Set(['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/**
 * Whether the engine can read a part's Content-Transfer-Encoding. Anything else (`x-uuencode`, a
 * quoted `"base64"` that readers do not decode either) is left alone: text written into it would
 * be read as that encoding.
 */
export function isReadableEncoding(encoding: string): boolean {
  return READABLE.has(encoding);
}

/** The first byte at or after `from` that is not a space or tab (the length if none). */
function pastBlanks(raw: Uint8Array, from: number): number {
  let at = from;
  while (at < raw.length && (raw[at] === SPACE || raw[at] === TAB)) at++;
  return at;
}

/** Where a soft line break that starts at `from` (after its `=`) ends, else -1. */
function softBreakEnd(raw: Uint8Array, from: number): number {
  const next = pastBlanks(raw, from);
  if (next === raw.length || raw[next] === LF) return next;
  if (raw[next] !== CR) return -1;
  const lf = pastBlanks(raw, next + 1);
  return lf < raw.length && raw[lf] === LF ? lf : -1;
}

/**
 * Quoted-printable decoding (RFC 2045 section 6.7), as libqp reads it: whitespace at the end of a
 * line dropped, soft line breaks removed (an escape may span one), `=XX` turned into its byte, any
 * other `=` kept. One pass over the bytes: the part may be tens of megabytes.
 */
export function decodeQuotedPrintable(body: Buffer): Buffer {
  const raw = new Uint8Array(body.buffer, body.byteOffset, body.length);
  const out = Buffer.allocUnsafe(raw.length);
  let written = 0;
  // An escape being read: 0 none, 1 after its `=`, 2 after its first digit (`high`).
  let state = 0;
  let high = 0;
  const flush = () => {
    if (state > 0) out[written++] = EQUALS;
    if (state > 1) out[written++] = high;
    state = 0;
  };
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte === SPACE || byte === TAB) {
      const next = pastBlanks(raw, i + 1);
      // Blanks before a line end or the end are dropped.
      const after = next < raw.length ? raw[next] : CR;
      if (after !== CR && after !== LF) {
        flush();
        for (let k = i; k < next; k++) out[written++] = raw[k] as number;
      }
      i = next - 1;
    } else if (byte === EQUALS) {
      const end = softBreakEnd(raw, i + 1);
      if (end >= 0) {
        i = end;
      } else {
        flush();
        state = 1;
      }
    } else if (state === 0) {
      out[written++] = byte;
    } else {
      const digit = HEX[byte] as number;
      if (digit < 0) {
        flush();
        out[written++] = byte;
      } else if (state === 1) {
        high = byte;
        state = 2;
      } else {
        out[written++] = (HEX[high] as number) * 16 + digit;
        state = 0;
      }
    }
  }
  flush();
  return out.subarray(0, written);
}

/** Removes the Content-Transfer-Encoding from a part's raw body bytes. */
export function decodeTransfer(raw: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'base64': {
      // Node stops at the first padding; a body encoded piece by piece pads in the middle.
      const clean = raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
      return Buffer.concat(
        clean.split(/(?<==)(?=[^=])/).map((piece) => Buffer.from(piece, 'base64')),
      );
    }
    case 'quoted-printable':
      return decodeQuotedPrintable(raw);
    default:
      return raw;
  }
}

/**
 * Whether a line is longer than 998 octets. Jumps: the last LF within the next 1,000 bytes of a
 * line's start begins the next line to look at (the lines between are shorter).
 */
export function hasLongLine(body: Buffer): boolean {
  // A line's octets and its CR before the LF.
  const most = MAX_LINE_LENGTH + 1;
  for (let start = 0; ; ) {
    if (body.length - start <= most) return false;
    const lf = body.lastIndexOf(0x0a, start + most);
    if (lf < start) return true;
    start = lf + 1;
  }
}

/** Whether any byte is above 0x7f (one regular-expression scan, not a step per byte). */
export function hasEightBit(body: Buffer): boolean {
  return /[\x80-\xff]/.test(body.toString('latin1'));
}

function base64Lines(body: Buffer, eol: string): string {
  const encoded = body.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += WRAP_AT) lines.push(encoded.slice(i, i + WRAP_AT));
  return lines.join(eol);
}

/** Base64 in lines of 76 characters (RFC 2045 section 6.8). */
export function base64Body(body: Buffer, eol: string): Buffer {
  return Buffer.from(base64Lines(body, eol), 'latin1');
}

/**
 * Whether identity-encoded bytes hold what WorkMail refuses: a CR or LF that is not part of a
 * CRLF, or a line longer than 998 octets.
 */
export function needsReencoding(body: Buffer): boolean {
  return /\r(?!\n)|(?<!\r)\n/.test(body.toString('latin1')) || hasLongLine(body);
}

/**
 * Applies a Content-Transfer-Encoding to a rewritten body. Base64 and quoted-printable parts keep
 * their encoding. An identity-encoded part (7bit, 8bit, binary or none) keeps it unless the
 * rewrite put non-ASCII text in it or a line exceeds 998 characters: then it becomes
 * quoted-printable, because WorkMail recommends 7-bit content and rejects long lines.
 *
 * @param endsWithEol whether the original raw body ended with a line break (kept that way)
 */
export function encodeTransfer(
  body: Buffer,
  encoding: string,
  addedNonAscii: boolean,
  eol: string,
  endsWithEol: boolean,
): { raw: Buffer; encoding: string } {
  const encoded = encodeBody(body, encoding, addedNonAscii, eol);
  const needsEol = endsWithEol && !encoded.raw.toString('latin1').endsWith(eol);
  return needsEol ? { ...encoded, raw: Buffer.concat([encoded.raw, Buffer.from(eol)]) } : encoded;
}

function encodeBody(
  body: Buffer,
  encoding: string,
  addedNonAscii: boolean,
  eol: string,
): { raw: Buffer; encoding: string } {
  if (encoding === 'base64') return { raw: base64Body(body, eol), encoding };
  const identity = encoding !== 'quoted-printable';
  const sevenBitLabel = encoding === '' || encoding === '7bit';
  const keepIdentity =
    identity && !hasLongLine(body) && !addedNonAscii && !(sevenBitLabel && hasEightBit(body));
  if (keepIdentity) return { raw: body, encoding };
  // libqp keeps a lone CR or LF as it is: escape them, or they would be bare line ends.
  const encoded = libqp
    .encode(body)
    .replace(/\r(?!\n)/g, '=0D')
    .replace(/(?<!\r)\n/g, '=0A');
  const wrapped = libqp.wrap(encoded, WRAP_AT);
  return {
    raw: Buffer.from(eol === '\r\n' ? wrapped : wrapped.replace(/\r\n/g, eol), 'latin1'),
    encoding: 'quoted-printable',
  };
}
