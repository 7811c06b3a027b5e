import { Readable } from 'node:stream';
import { startPlannedRewrite } from '../../lambda/rewrite/rewrite-message';
import { type WrapOptions, wrapMessage } from '../../lambda/rewrite/wrap-message';
import { readFixture } from '../helpers/mime';
import { allParts, decodedText, firstBadLine, parseMime } from '../helpers/mime-tree';

const OPTIONS = {
  note: {
    text: 'EXTERNAL: this message could not be marked, so it is attached.',
    html: '<b>EXTERNAL</b>',
  },
  subjectTag: '[EXTERNAL]',
  marker: { header: 'X-Mail-Rewrite-Id', value: 'inv-1' },
  maxOutputBytes: 40 * 1024 * 1024,
  attach: 'message' as const,
  from: '<alice@partner.example>',
  now: () => new Date(Date.UTC(2026, 11, 2, 12, 0, 0)),
};

async function wrap(input: Buffer, options: WrapOptions = OPTIONS): Promise<Buffer> {
  const wrapped = wrapMessage(Readable.from([input]), options);
  const chunks: Buffer[] = [];
  wrapped.output.on('data', (chunk: Buffer) => chunks.push(chunk));
  await wrapped.done;
  return Buffer.concat(chunks);
}

describe('wrapMessage', () => {
  it('attaches the original byte for byte under its own headers, the subject tagged', async () => {
    // Arrange
    const original = readFixture('signed.eml');

    // Act
    const output = await wrap(original);

    // Assert
    expect(firstBadLine(output)).toBeUndefined();
    const tree = parseMime(output);
    expect(tree.contentType).toBe('multipart/mixed');
    expect(tree.headers.get('subject')).toEqual(['[EXTERNAL] Signed contract']);
    expect(tree.headers.get('message-id')).toEqual(['<signed@partner.example>']);
    expect(tree.headers.get('x-mail-rewrite-id')).toEqual(['inv-1']);
    const attached = allParts(tree).find((p) => p.contentType === 'message/rfc822');
    expect(attached?.body.equals(original)).toBe(true);
    const [note] = allParts(tree).filter((p) => p.contentType === 'text/plain');
    expect(note && decodedText(note)).toBe(OPTIONS.note.text);
  });

  it('writes the same bytes for the same invocation', async () => {
    const original = readFixture('plain-7bit.eml');
    expect((await wrap(original)).equals(await wrap(original))).toBe(true);
  });

  it('is recognised as this invocation’s own output on a retry', async () => {
    const run = startPlannedRewrite(Readable.from([await wrap(readFixture('plain-7bit.eml'))]), {
      marker: OPTIONS.marker,
    });
    await expect(run.head).resolves.toMatchObject({ alreadyRewritten: true });
    run.cancel();
    await run.done.catch(() => undefined);
  });

  it('normalises LF-only input and declines an empty message', async () => {
    const output = await wrap(Buffer.from('Subject: lf\n\nbody\n'));
    expect(firstBadLine(output)).toBeUndefined();
    await expect(wrap(Buffer.alloc(0))).rejects.toThrow('the message is empty');
  });

  it('attaches any bytes as base64 original.eml, under headers WorkMail takes', async () => {
    const original = Buffer.from(
      [
        'Subject: one',
        'Subject: two',
        `X-Long: ${'x'.repeat(1200)}`,
        'Received: by mx.example; Tue, 1 Dec 2026 09:30:00 +0100',
        '',
        `bare\rCR and ${'y'.repeat(3000)}`,
        '--unclosed',
      ].join('\n'),
      'latin1',
    );
    const output = await wrap(original, { ...OPTIONS, attach: 'octets' });
    expect(firstBadLine(output)).toBeUndefined();
    const tree = parseMime(output);
    expect(tree.headers.get('subject')).toEqual(['[EXTERNAL] one']);
    expect(tree.headers.get('x-long') ?? []).toEqual([]);
    expect(tree.headers.get('from')).toEqual(['<alice@partner.example>']);
    // The arrival time the receiving service stamped, not the clock.
    expect(tree.headers.get('date')).toEqual(['Tue, 01 Dec 2026 08:30:00 +0000']);
    const attached = allParts(tree).find((p) => p.contentType === 'application/octet-stream');
    expect(attached?.headers.get('content-disposition')).toEqual([
      'attachment; filename="original.eml"',
    ]);
    expect(
      attached && Buffer.from(attached.body.toString('latin1'), 'base64').equals(original),
    ).toBe(true);
  });

  it('dates the wrapper by the clock when the original says nothing of its time', async () => {
    const tree = parseMime(await wrap(Buffer.from('Subject: x\r\n\r\nhi\r\n'), OPTIONS));
    expect(tree.headers.get('date')).toEqual(['Wed, 02 Dec 2026 12:00:00 +0000']);
  });
});
