/** Generates attachment-heavy test messages of a given size, the same bytes every time. */

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
