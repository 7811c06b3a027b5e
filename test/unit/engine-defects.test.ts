import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';
import type { PlannedRewrite } from '../../lambda/rewrite/rewrite-rules';
import { base64Lines, multipart, part, TOP, withTopHeaders } from '../helpers/build-mime';
import { bareLineFeeds, rewriteBuffer } from '../helpers/mime';
import {
  allParts,
  firstBadLine,
  type MimePart,
  parseMime,
  transferDecoded,
} from '../helpers/mime-tree';

/**
 * The engine's defects found with unusual and hostile mail (issue "byte-exact on every input"):
 * each case failed on the engine built on mailsplit.
 */

const RULES: PlannedRewrite = {
  subjectTag: '[EXTERNAL]',
  banner: { text: 'EXTERNAL SENDER', html: '<p>EXTERNAL SENDER</p>' },
  footer: { text: 'Sent from outside.', html: '<p>Sent from outside.</p>' },
  marker: { header: 'X-Mail-Rewrite-Id', value: 'run-1' },
};

const CRLF = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');

function count(haystack: Buffer, needle: string): number {
  return haystack.toString('latin1').split(needle).length - 1;
}

function at(tree: MimePart, path: string): MimePart {
  const found = allParts(tree).find((p) => p.path === path);
  if (!found) throw new Error(`no part ${path}`);
  return found;
}

async function outcome(message: Buffer, chunk?: number, rules = RULES) {
  return rewriteBuffer(message, rules, chunk).catch((error: unknown) => error as Error);
}

describe('parts without a blank line after their headers', () => {
  const PDF = base64Lines(Buffer.from('%PDF-1.4 pretend'));
  const message = CRLF(
    [
      ...TOP,
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello',
      '--b',
      'Content-Type: text/plain; charset=us-ascii',
      '--b',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      PDF,
      '--b',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      '--b--',
      '',
    ].join('\n'),
  );

  it.each([undefined, 7])('keeps every one, once, byte for byte (chunk %p)', async (chunk) => {
    const result = await outcome(message, chunk);
    if (result instanceof Error) throw result;
    const { output } = result;
    expect(count(output, 'Content-Type: application/pdf')).toBe(2);
    expect(count(output, 'Content-Type: text/plain; charset=us-ascii\r\n--b\r\n')).toBe(1);
    expect(count(output, `Content-Transfer-Encoding: base64\r\n${PDF}\r\n--b\r\n`)).toBe(1);
    expect(count(output, 'Content-Transfer-Encoding: base64\r\n--b--\r\n')).toBe(1);
    // A retry of the same invocation gives the same bytes.
    const again = await outcome(message, chunk);
    expect(again instanceof Error ? again : again.output).toEqual(output);
  });
});

describe('decisions that do not depend on chunk boundaries', () => {
  it('reads an inner epilogue quoting the outer closing delimiter alike at every chunking', async () => {
    const inner = multipart('alternative', 'i', [part(['Content-Type: text/plain'], 'x')], [], {
      epilogue: 'as in --o-- here',
    });
    const message = withTopHeaders(TOP, multipart('mixed', 'o', [inner]));
    const results = await Promise.all([undefined, 7, 64].map((chunk) => outcome(message, chunk)));
    const shown = results.map((r) =>
      r instanceof Error ? r.message : r.output.toString('latin1'),
    );
    expect(results[0]).not.toBeInstanceOf(Error);
    expect(new Set(shown).size).toBe(1);
  });
});

describe('line ends', () => {
  const lfOnly = Buffer.from(
    'From: a@example.com\nSubject: lf\n\nline one\nline two\nline three\n',
    'latin1',
  );

  it.each([1, 2, 3, 5, 8, 13])('turns every bare LF into CRLF at chunk size %p', async (chunk) => {
    const result = await outcome(lfOnly, chunk);
    if (result instanceof Error) throw result;
    expect(bareLineFeeds(result.output)).toBe(0);
    expect(result.report.lineEndingsFixed).toBe(6);
  });

  it('also when an LF is the first byte of a 64 KiB chunk', async () => {
    const head = 'From: a@example.com\nSubject: lf\n\n';
    // A first line sized so that the LFs of the 64-byte lines after it fall on 65,536.
    const first = 'y'.repeat((64 * 1024 - head.length) % 64);
    const lines = `${'x'.repeat(63)}\n`.repeat(1023);
    // After it, CRLF only: the LF on the boundary is the chunk's only bare one.
    const message = Buffer.from(`${head}${first}\n${lines}last\r\n`);
    expect(message[64 * 1024]).toBe(0x0a);
    const result = await outcome(message);
    if (result instanceof Error) throw result;
    expect(bareLineFeeds(result.output)).toBe(0);
  });
});

describe('Content-Transfer-Encoding: binary', () => {
  const data = Buffer.from('\x00\x01binary\nwith bare LF\nand\r\nCRLF\x7f\xff', 'latin1');
  const attachment = part(
    [
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: binary',
      'Content-Disposition: attachment; filename="a.bin"',
    ],
    data,
  );
  const message = withTopHeaders(
    TOP,
    multipart('mixed', 'b', [part(['Content-Type: text/plain'], 'Hi'), attachment]),
  );

  it('keeps the decoded bytes of a binary part that has to change for WorkMail', async () => {
    const result = await outcome(message);
    if (result instanceof Error) throw result;
    expect(firstBadLine(result.output)).toBeUndefined();
    const fresh = at(parseMime(result.output), '2');
    expect(transferDecoded(fresh)).toEqual(data);
    expect(result.report.parts).toContainEqual(
      expect.objectContaining({ part: '2', change: 'reencoded' }),
    );
  });

  it('declines a binary part too large to check whole, rather than let unchecked bytes through', async () => {
    const result = await outcome(message, undefined, { ...RULES, maxRewritePartBytes: 16 });
    expect(result).toBeInstanceOf(RewriteDeclinedError);
    expect((result as RewriteDeclinedError).reason).toBe('too-large');
  });

  it('leaves a binary part that WorkMail takes as it is, byte for byte', async () => {
    const clean = Buffer.from('\x00\x01binary\r\nwith CRLF only\xff', 'latin1');
    const ok = withTopHeaders(
      TOP,
      multipart('mixed', 'b', [
        part(['Content-Type: text/plain'], 'Hi'),
        part(
          ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: binary'],
          clean,
        ),
      ]),
    );
    const result = await outcome(ok);
    if (result instanceof Error) throw result;
    expect(at(parseMime(result.output), '2').body).toEqual(clean);
  });
});

describe('UTF-16 and UTF-32 (RFC 2781: the BOM decides; without one, big-endian)', () => {
  const TEXT = 'Grüße aus Köln, 你好';
  const cases: [string, string, Buffer][] = [
    [
      'utf-16 with a big-endian BOM',
      'utf-16',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(TEXT, 'utf16le').swap16()]),
    ],
    ['utf-16 without a BOM', 'utf-16', Buffer.from(TEXT, 'utf16le').swap16()],
    [
      'utf-16 with a little-endian BOM',
      'utf-16',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]),
    ],
    ['utf-16be', 'utf-16be', Buffer.from(TEXT, 'utf16le').swap16()],
    ['utf-32', 'utf-32', utf32be(TEXT)],
  ];

  it.each(cases)('keeps the text of %s and adds the banner', async (_name, charset, body) => {
    const message = withTopHeaders(
      TOP,
      part(
        [`Content-Type: text/plain; charset=${charset}`, 'Content-Transfer-Encoding: base64'],
        base64Lines(body),
      ),
    );
    const result = await outcome(message);
    if (result instanceof Error) throw result;
    const tree = parseMime(result.output);
    const label = (tree.params.charset ?? '').toLowerCase();
    const decoded = new TextDecoder(label === 'utf-8' ? 'utf-8' : label).decode(
      transferDecoded(tree),
    );
    expect(decoded).toContain(TEXT);
    expect(decoded).toContain('EXTERNAL SENDER');
    expect(result.report.parts[0]).toMatchObject({ change: 'rewritten' });
  });
});

function utf32be(text: string): Buffer {
  const points = [...text].map((c) => c.codePointAt(0) as number);
  const out = Buffer.alloc(points.length * 4);
  for (const [i, p] of points.entries()) out.writeUInt32BE(p, i * 4);
  return out;
}

describe('transfer encodings the engine cannot read', () => {
  it.each(['"base64"', 'x-uuencode'])(
    'leaves a %s part alone, with the reason',
    async (encoding) => {
      const body =
        encoding === 'x-uuencode' ? 'begin 644 a.txt\r\n#86)C\r\n`\r\nend\r\n' : 'SGVsbG8=\r\n';
      const message = withTopHeaders(
        TOP,
        part(['Content-Type: text/plain', `Content-Transfer-Encoding: ${encoding}`], body),
      );
      const result = await outcome(message);
      if (result instanceof Error) throw result;
      expect(parseMime(result.output).body.toString('latin1')).toBe(body);
      expect(result.report.parts[0]).toMatchObject({
        change: 'skipped',
        reason: expect.stringContaining('transfer encoding'),
      });
    },
  );
});

describe('a bare CR in a top-level header', () => {
  it('is declined, naming the field, instead of merging two header lines', async () => {
    const message = CRLF('From: a@example.com\nSubject: hello\rX-Hidden: yes\n\nbody\n');
    const result = await outcome(message);
    expect(result).toBeInstanceOf(RewriteDeclinedError);
    expect((result as RewriteDeclinedError).reason).toBe('bare-cr');
    expect((result as Error).message).toContain('Subject');
  });
});
