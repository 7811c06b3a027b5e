/**
 * UTF-16 and UTF-32 as MIME labels them (RFC 2781): `utf-16` and `utf-32` follow the byte order
 * mark, and without one they are big-endian. Node's `TextDecoder('utf-16')` is the WHATWG label,
 * little-endian, and has no UTF-32: read as that, big-endian text becomes other, valid-looking text.
 */
const UNICODE = /^utf-?(16|32)(be|le)?$/;

export function isUnicodeLabel(label: string): boolean {
  return UNICODE.test(label);
}

function decodeUtf32(body: Buffer, littleEndian: boolean): string | undefined {
  if (body.length % 4 !== 0) return undefined;
  let text = '';
  for (let i = 0; i < body.length; i += 4) {
    const point = littleEndian ? body.readUInt32LE(i) : body.readUInt32BE(i);
    if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return undefined;
    text += String.fromCodePoint(point);
  }
  return text;
}

/** Decodes UTF-16 or UTF-32 strictly; undefined when the bytes are not valid. */
export function decodeUnicode(body: Buffer, label: string): string | undefined {
  const [, bits, order] = UNICODE.exec(label) ?? [];
  if (!bits) return undefined;
  let bytes = body;
  let littleEndian = order === 'le';
  if (!order) {
    // The mark decides and is not text; without one, big-endian (RFC 2781 section 4.3).
    const le = bits === '16' ? [0xff, 0xfe] : [0xff, 0xfe, 0, 0];
    const be = bits === '16' ? [0xfe, 0xff] : [0, 0, 0xfe, 0xff];
    const starts = (mark: number[]) => mark.every((byte, i) => body[i] === byte);
    littleEndian = starts(le);
    if (littleEndian || starts(be)) bytes = body.subarray(le.length);
  }
  if (bits === '32') return decodeUtf32(bytes, littleEndian);
  try {
    return new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
