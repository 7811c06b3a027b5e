/** Builds CRLF MIME messages for tests, byte by byte, with nothing the engine itself uses. */
export type Bytes = string | Buffer;

const CRLF = '\r\n';

function bytes(value: Bytes): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

/** A part (or a whole message): header lines, a blank line, the body. */
export function part(headers: string[], body: Bytes): Buffer {
  return Buffer.concat([
    Buffer.from(headers.map((h) => `${h}${CRLF}`).join('') + CRLF, 'latin1'),
    bytes(body),
  ]);
}

export interface MultipartOptions {
  preamble?: string;
  epilogue?: string;
  /** Leave out the closing delimiter, as broken mail does. */
  unclosed?: boolean;
}

/** A multipart whose children are complete parts; `headers` come before Content-Type. */
export function multipart(
  subtype: string,
  boundary: string,
  children: Buffer[],
  headers: string[] = [],
  options: MultipartOptions = {},
): Buffer {
  const pieces: Buffer[] = [
    Buffer.from(
      [...headers, `Content-Type: multipart/${subtype}; boundary="${boundary}"`]
        .map((h) => `${h}${CRLF}`)
        .join('') + CRLF,
      'latin1',
    ),
  ];
  if (options.preamble) pieces.push(Buffer.from(`${options.preamble}${CRLF}`, 'latin1'));
  for (const child of children) {
    pieces.push(Buffer.from(`--${boundary}${CRLF}`, 'latin1'), child, Buffer.from(CRLF, 'latin1'));
  }
  if (!options.unclosed) pieces.push(Buffer.from(`--${boundary}--${CRLF}`, 'latin1'));
  if (options.epilogue) pieces.push(Buffer.from(`${options.epilogue}${CRLF}`, 'latin1'));
  return Buffer.concat(pieces);
}

/** Puts top-level headers (From, Subject...) in front of a part's own headers. */
export function withTopHeaders(top: string[], content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(top.map((h) => `${h}${CRLF}`).join(''), 'latin1'), content]);
}

export const TOP = [
  'From: sender@partner.example',
  'To: bob@corp.example',
  'Subject: Test',
  'MIME-Version: 1.0',
];

/**
 * A message the engine declines and the repair cannot mend: a nested multipart reuses the boundary
 * of the one around it (`ambiguous-boundary`), so readers disagree on its parts.
 */
export function sharedBoundaryMessage(): Buffer {
  return withTopHeaders(
    TOP,
    multipart('mixed', 'b1', [
      multipart('alternative', 'b1', [part(['Content-Type: text/plain'], 'Hi\r\n')]),
    ]),
  );
}

export function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/** Quoted-printable, written here rather than with libqp so tests do not share the engine's code. */
export function quotedPrintable(data: Buffer): string {
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < data.length; i++) {
    const byte = data[i] ?? 0;
    if (byte === 0x0d && data[i + 1] === 0x0a) {
      lines.push(line);
      line = '';
      i++;
      continue;
    }
    const literal = byte >= 33 && byte <= 126 && byte !== 61;
    const token = literal
      ? String.fromCharCode(byte)
      : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + token.length > 75) {
      lines.push(`${line}=`);
      line = '';
    }
    line += token;
  }
  lines.push(line);
  return lines.join(CRLF);
}
