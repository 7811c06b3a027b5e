import iconv = require('iconv-lite');

/** Where the inserted text goes: the end of a plain-text body, or before `</body>` in HTML. */
export type InsertionKind = 'text' | 'html';

/** The decoded body after insertion, and the charset to declare if it had to change. */
export type InsertionResult =
  | { ok: true; body: Buffer; charset?: string; nonAscii: boolean }
  | { ok: false; reason: string };

const UTF8_LABELS = new Set(['utf-8', 'utf8']);
const ASCII_PROBE = '<body></BODY>\r\n -=_azAZ09';

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Line ending the body already uses; the inserted text follows it. */
function lineEndingOf(body: string, fallback: string): string {
  const lf = body.indexOf('\n');
  if (lf < 0) return fallback;
  return lf > 0 && body[lf - 1] === '\r' ? '\r\n' : '\n';
}

function withLineEndings(text: string, eol: string): string {
  return text.replace(/\r?\n/g, eol);
}

/**
 * Inserts into a body held as a string whose characters map one-to-one to the output
 * encoding's units (latin1 for byte-preserving work on ASCII-compatible charsets).
 */
function insert(body: string, kind: InsertionKind, addition: string, defaultEol: string): string {
  const eol = lineEndingOf(body, defaultEol);
  const text = withLineEndings(addition, eol);
  if (kind === 'html') {
    const at = lastTagIndex(body, /<\/body\s*>/gi) ?? lastTagIndex(body, /<\/html\s*>/gi);
    if (at === undefined) return `${body}${eol}${text}${body.endsWith(eol) ? eol : ''}`;
    return `${body.slice(0, at)}${text}${eol}${body.slice(at)}`;
  }
  const trailing = body.endsWith(eol) ? eol : '';
  const core = trailing ? body.slice(0, -eol.length) : body;
  return `${core}${eol}${eol}${text}${trailing}`;
}

function lastTagIndex(body: string, pattern: RegExp): number | undefined {
  let last: number | undefined;
  for (const match of body.matchAll(pattern)) last = match.index;
  return last;
}

/**
 * Adds `addition` to a decoded body part written in `charset`. The original bytes are kept when
 * the charset can hold the addition; otherwise the part is converted to UTF-8, and the caller
 * must declare the new charset. A charset that cannot be decoded leaves the part alone.
 */
export function insertIntoBody(
  body: Buffer,
  charset: string | false,
  kind: InsertionKind,
  addition: string,
  defaultEol: string,
): InsertionResult {
  const label = (charset || 'us-ascii').trim().toLowerCase();
  if (!iconv.encodingExists(label)) return { ok: false, reason: `unknown charset ${label}` };
  const asciiCompatible = iconv.encode(ASCII_PROBE, label).toString('latin1') === ASCII_PROBE;
  const additionBytes = encodeLosslessly(addition, label, asciiCompatible);
  if (additionBytes) {
    // Work on latin1 so every original byte maps to itself, whatever the charset.
    const result = insert(
      body.toString('latin1'),
      kind,
      additionBytes.toString('latin1'),
      defaultEol,
    );
    return { ok: true, body: Buffer.from(result, 'latin1'), nonAscii: !isAscii(addition) };
  }
  const decoded = iconv.decode(body, label);
  const result = insert(decoded, kind, addition, defaultEol);
  return { ok: true, body: Buffer.from(result, 'utf8'), charset: 'utf-8', nonAscii: true };
}

/** The addition in the part's charset, or undefined when that charset cannot hold it. */
function encodeLosslessly(addition: string, label: string, asciiCompatible: boolean) {
  if (!asciiCompatible) return undefined;
  if (UTF8_LABELS.has(label)) return Buffer.from(addition, 'utf8');
  if (isAscii(addition)) return Buffer.from(addition, 'latin1');
  // us-ascii "holds" non-ASCII only by accident of iconv's mapping: convert such parts instead.
  if (label === 'us-ascii' || label === 'ascii') return undefined;
  const encoded = iconv.encode(addition, label);
  return iconv.decode(encoded, label) === addition ? encoded : undefined;
}
