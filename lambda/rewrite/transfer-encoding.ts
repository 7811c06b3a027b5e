import libqp = require('libqp');

/** RFC 5322 section 2.1.1: at most 998 characters on a line, CRLF excluded. */
const MAX_LINE_LENGTH = 998;
const WRAP_AT = 76;

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

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Quoted-printable decoding (RFC 2045 section 6.7), as libqp reads it: whitespace at the end of a
 * line dropped, soft line breaks removed, `=XX` turned into its byte, any other `=` kept. The runs
 * between escapes are copied natively rather than a character at a time.
 */
export function decodeQuotedPrintable(raw: Buffer): Buffer {
  const input = Buffer.from(
    raw
      .toString('latin1')
      .replace(/(^|[^ \t])[ \t]+(?=[\n\r\u2028\u2029]|$)/g, '$1')
      .replace(/[=](?:\r?\n|$)/g, ''),
    'latin1',
  );
  const out = Buffer.allocUnsafe(input.length);
  let written = 0;
  let from = 0;
  for (let eq = input.indexOf(0x3d); eq >= 0; eq = input.indexOf(0x3d, from)) {
    written += input.copy(out, written, from, eq);
    const hi = hexValue(input[eq + 1]);
    const lo = hexValue(input[eq + 2]);
    if (eq < input.length - 2 && hi >= 0 && lo >= 0) {
      out[written++] = hi * 16 + lo;
      from = eq + 3;
    } else {
      out[written++] = 0x3d;
      from = eq + 1;
    }
  }
  written += input.copy(out, written, from);
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
