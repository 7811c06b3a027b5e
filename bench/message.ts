/**
 * Generates the benchmark's messages, the same bytes every time: attachment-heavy, an HTML
 * newsletter, and 400 parts in nested multiparts.
 */

const CRLF = '\r\n';

/** Deterministic pseudo-random bytes (xorshift32), so sizes and content repeat across runs. */
function bytes(count: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(count);
  let x = seed || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/**
 * A message of about `size` bytes: multipart/mixed with a multipart/alternative body (a few KB of
 * text and HTML) and as many base64 attachments (up to 5 MB each) as fill the rest.
 */
export function benchMessage(size: number): Buffer {
  const paragraph = 'Quarterly figures attached; the totals are on page two, details follow. ';
  const text = paragraph.repeat(Math.max(1, Math.min(60, Math.floor(size / 2000))));
  const head = [
    'From: Alice Partner <alice@partner.example>',
    'To: Bob Corp <bob@corp.example>',
    'Subject: Quarterly figures',
    'Date: Tue, 24 Nov 2026 10:00:00 +0000',
    'Message-ID: <bench@partner.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mixed"',
    '',
    '--mixed',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    text.replace(/(.{1,72})( |$)/g, `$1$2${CRLF}`).trimEnd(),
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    `<html><body><p>${text.trim()}</p></body></html>`
      .replace(/(.{1,72})( |$)/g, `$1$2=${CRLF}`)
      .replace(/=\r\n$/, ''),
    '--alt--',
    '',
  ].join(CRLF);
  const parts: string[] = [head];
  let remaining = Math.max(0, size - head.length - 200);
  for (let n = 1; remaining > 0; n++) {
    const raw = Math.min(5 * 1024 * 1024, Math.floor((remaining * 3) / 4) - 200);
    if (raw <= 0) break;
    const encoded = base64Lines(bytes(raw, n));
    parts.push(
      [
        '--mixed',
        `Content-Type: application/octet-stream; name="file-${n}.bin"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename="file-${n}.bin"`,
        '',
        encoded,
      ].join(CRLF),
    );
    remaining -= encoded.length + 200;
  }
  parts.push(`--mixed--${CRLF}`);
  return Buffer.from(parts.join(CRLF), 'latin1');
}

function qpLines(text: string): string {
  return text
    .replace(/=/g, '=3D')
    .replace(/(.{1,72})/g, `$1=${CRLF}`)
    .replace(/=\r\n$/, '');
}

/**
 * An HTML newsletter of about `size` bytes: multipart/alternative, a short text part and one
 * large quoted-printable HTML part (tables, inline styles, links), as mailing tools send them.
 */
export function newsletterMessage(size: number): Buffer {
  const row = (n: number) =>
    `<tr><td style="padding:8px;font-family:Arial,sans-serif;color:#333"><a href="https://news.example/item/${n}?utm_source=mail&amp;utm_medium=email">Story ${n}</a>: a short summary of what happened, with a link and some styling.</td></tr>\n`;
  // Rows counted by their encoded size: quoted-printable turns each `=` into three bytes.
  const perRow = qpLines(row(100)).length + 1;
  const rows = Array.from({ length: Math.max(1, Math.floor((size - 2000) / perRow)) }, (_, n) =>
    row(n),
  );
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head><body><table width="600">\n${rows.join('')}</table></body></html>`;
  return Buffer.from(
    [
      'From: News <news@partner.example>',
      'To: Bob Corp <bob@corp.example>',
      'Subject: This week',
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      'Message-ID: <news@partner.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'This week: read the newsletter in HTML.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      qpLines(html.replace(/\n/g, CRLF)),
      '--alt--',
      '',
    ].join(CRLF),
    'latin1',
  );
}

/**
 * About `size` bytes in 400 parts: a text and HTML body, then nested multipart/mixed groups of
 * small attachments, an attached message, and text parts holding lines that start with the
 * boundary (`--mixed-not-a-delimiter`), which a splitter must not take for delimiters.
 */
export function manyPartsMessage(size: number): Buffer {
  const groups = 99;
  const share = Math.max(64, Math.floor((size - 60_000) / (groups * 2)));
  const leaf = (n: number) => {
    if (n % 4 === 1) {
      return [
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Note ${n}`,
        '--mixed-not-a-delimiter',
        '--inner',
        '-- signature',
      ].join(CRLF);
    }
    return [
      `Content-Type: application/octet-stream; name="part-${n}.bin"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="part-${n}.bin"`,
      '',
      base64Lines(bytes(Math.floor((share * 3) / 4), n + 1)),
    ].join(CRLF);
  };
  const group = (g: number) =>
    [
      `Content-Type: multipart/mixed; boundary="inner-${g}"`,
      '',
      ...[0, 1, 2].flatMap((i) => [`--inner-${g}`, leaf(g * 4 + i)]),
      `--inner-${g}--`,
    ].join(CRLF);
  const attached = [
    'Content-Type: message/rfc822',
    '',
    'From: someone@else.example',
    'Subject: forwarded',
    'Content-Type: multipart/mixed; boundary="fwd"',
    '',
    '--fwd',
    '',
    'the text of an attached message, with its own multipart',
    '--fwd--',
  ].join(CRLF);
  const children = [
    [
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello, the files are attached.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><body><p>Hello, the files are attached.</p></body></html>',
      '--alt--',
    ].join(CRLF),
    attached,
    ...Array.from({ length: groups }, (_, g) => group(g)),
  ];
  return Buffer.from(
    [
      'From: Alice Partner <alice@partner.example>',
      'To: Bob Corp <bob@corp.example>',
      'Subject: Many parts',
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="mixed"',
      '',
      ...children.flatMap((child) => ['--mixed', child]),
      '--mixed--',
      '',
    ].join(CRLF),
    'latin1',
  );
}
