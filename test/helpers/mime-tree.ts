/**
 * An independent MIME splitter and decoder for checking the engine's output: it shares no code
 * with the engine (no mailsplit, no libqp), so a bug there cannot hide itself here.
 */
export interface MimePart {
  /** Dotted position, `1` for the root's first child; `` for the root. */
  path: string;
  /** The raw header block, up to and including the blank line. */
  head: Buffer;
  /** Unfolded headers, lower-case names. */
  headers: Map<string, string[]>;
  /** The raw body: for a child, up to (not including) the CRLF before the next delimiter. */
  body: Buffer;
  contentType: string;
  params: Record<string, string>;
  children: MimePart[];
}

function parseHeaders(head: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    map.set(name, [...(map.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return map;
}

function parseParams(value: string): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const piece of rest) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    params[piece.slice(0, eq).trim().toLowerCase()] = piece
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

export function parseMime(raw: Buffer, path = ''): MimePart {
  // A part may have no headers at all: its body starts right after the blank line.
  const split = raw.subarray(0, 2).toString() === '\r\n' ? -2 : raw.indexOf('\r\n\r\n');
  const headEnd = split < 0 && split !== -2 ? raw.length : split + 4;
  const head = raw.subarray(0, headEnd);
  const body = raw.subarray(headEnd);
  const headers = parseHeaders(head.toString('latin1'));
  const { type, params } = parseParams(headers.get('content-type')?.[0] ?? 'text/plain');
  const node: MimePart = { path, head, headers, body, contentType: type, params, children: [] };
  if (!type.startsWith('multipart/') || !params.boundary) return node;
  const delimiter = `--${params.boundary}`;
  const text = body.toString('latin1');
  const starts: number[] = [];
  let closeAt = -1;
  for (let at = text.indexOf(delimiter); at >= 0; at = text.indexOf(delimiter, at + 1)) {
    if (at > 0 && text[at - 1] !== '\n') continue;
    const after = text.slice(at + delimiter.length, at + delimiter.length + 2);
    if (after === '--') {
      closeAt = at;
      break;
    }
    starts.push(at);
  }
  starts.forEach((start, i) => {
    const contentStart = text.indexOf('\r\n', start) + 2;
    const next = starts[i + 1] ?? (closeAt >= 0 ? closeAt : text.length);
    const contentEnd = text.slice(0, next).endsWith('\r\n') ? next - 2 : next;
    node.children.push(
      parseMime(body.subarray(contentStart, contentEnd), path ? `${path}.${i + 1}` : `${i + 1}`),
    );
  });
  return node;
}

/** Every part, depth first. */
export function allParts(root: MimePart): MimePart[] {
  return [root, ...root.children.flatMap(allParts)];
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else out.push(text.charCodeAt(i));
  }
  return Buffer.from(out);
}

/** The part's body without its transfer encoding. */
export function transferDecoded(part: MimePart): Buffer {
  const encoding = (part.headers.get('content-transfer-encoding')?.[0] ?? '').toLowerCase();
  if (encoding === 'base64')
    return Buffer.from(part.body.toString('latin1').replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  return part.body;
}

// Node's TextDecoder reads windows-1252 as Latin-1; these are the code points it gets wrong.
const CP1252_80_9F = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

/** The part's text, decoded in its declared charset (us-ascii when none is declared). */
export function decodedText(part: MimePart): string {
  const charset = (part.params.charset ?? 'us-ascii').toLowerCase();
  const bytes = transferDecoded(part);
  if (['us-ascii', 'windows-1252', 'cp1252', 'iso-8859-1', 'latin1'].includes(charset)) {
    const cp1252 = charset === 'windows-1252' || charset === 'cp1252';
    return Array.from(bytes, (b) =>
      cp1252 && b >= 0x80 && b <= 0x9f ? CP1252_80_9F[b - 0x80] : String.fromCharCode(b),
    ).join('');
  }
  return new TextDecoder(charset, { fatal: true }).decode(bytes);
}

/** The line that breaks the rules, if any: a bare LF, or more than 998 octets before CRLF. */
export function firstBadLine(message: Buffer): string | undefined {
  const text = message.toString('latin1');
  let start = 0;
  for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', start)) {
    if (text[lf - 1] !== '\r') return `bare LF at offset ${lf}`;
    if (lf - 1 - start > 998) return `line of ${lf - 1 - start} octets at offset ${start}`;
    start = lf + 1;
  }
  return text.length - start > 998 ? 'last line over 998 octets' : undefined;
}
