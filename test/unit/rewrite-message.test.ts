import { Readable } from 'node:stream';

import libmime = require('libmime');

import { createMimeMessage } from 'mimetext';
import { htmlMarkOpening, markToken } from '../../lambda/rewrite/html-marks';
import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';
import { startPlannedRewrite, startRewrite } from '../../lambda/rewrite/rewrite-message';
import type { PlannedRewrite } from '../../lambda/rewrite/rewrite-rules';
import { bareLineFeeds, leafParts, readFixture, rewriteBuffer, topHeader } from '../helpers/mime';

const MARKER = { header: 'X-Mail-Rewrite-Id', value: 'abc123' };
const RULES: PlannedRewrite = {
  subjectTag: '[EXTERNAL]',
  footer: {
    text: 'CAUTION: this message comes from outside the company.',
    html: '<p class="external-warning">CAUTION: this message comes from outside.</p>',
  },
  marker: MARKER,
};
const FOOTER_OPENING = htmlMarkOpening('footer', markToken(MARKER.value));
const FIXTURES = [
  'alternative-with-pdf.eml',
  'plain-7bit.eml',
  'html-base64-encoded-subject.eml',
  'signed.eml',
  'forwarded-message.eml',
  'latin1-8bit.eml',
];

function withoutLine(message: Buffer, line: string): Buffer {
  return Buffer.from(message.toString('latin1').replace(`${line}\r\n`, ''), 'latin1');
}

describe('startRewrite', () => {
  it('hands out the head, writes nothing until a plan is applied, then follows that plan', async () => {
    // Arrange
    const rewrite = startRewrite(Readable.from([readFixture('plain-7bit.eml')]), {
      marker: MARKER,
    });
    const chunks: Buffer[] = [];
    rewrite.output.on('data', (chunk: Buffer) => chunks.push(chunk));

    // Act
    const head = await rewrite.head;
    await new Promise((resolve) => setImmediate(resolve));
    const writtenBeforePlan = chunks.length;
    const subject = head.headers.subject();
    rewrite.apply({ subjectTag: `[${subject.length}]` });
    await rewrite.done;

    // Assert
    expect(head.alreadyRewritten).toBe(false);
    expect(writtenBeforePlan).toBe(0);
    expect(topHeader(Buffer.concat(chunks), 'subject')).toBe(`[${subject.length}] ${subject}`);
    expect(() => rewrite.apply({})).toThrow('one plan');
  });
});

describe('startPlannedRewrite', () => {
  it.each(FIXTURES)('changes nothing but the marker when no rule applies (%s)', async (name) => {
    // Arrange
    const input = readFixture(name);

    // Act
    const { output, report } = await rewriteBuffer(input, { marker: MARKER });

    // Assert
    expect(withoutLine(output, 'X-Mail-Rewrite-Id: abc123').equals(input)).toBe(true);
    expect(report.parts.filter((p) => p.change !== 'skipped')).toEqual([]);
    expect(report.bytesIn).toBe(input.length);
    expect(report.bytesOut).toBe(output.length);
  });

  it.each(FIXTURES)('gives the same bytes when fed 1 and 2 bytes at a time (%s)', async (name) => {
    const input = readFixture(name);
    const whole = await rewriteBuffer(input, RULES);
    const oneByte = await rewriteBuffer(input, RULES, 1);
    const twoBytes = await rewriteBuffer(input, RULES, 2);
    expect(oneByte.output.equals(whole.output)).toBe(true);
    expect(twoBytes.output.equals(whole.output)).toBe(true);
  });

  it.each(FIXTURES)('writes CRLF line endings only (%s)', async (name) => {
    const { output } = await rewriteBuffer(readFixture(name), RULES);
    expect(bareLineFeeds(output)).toBe(0);
  });

  it('leaves a message that carries this run’s marker byte-identical', async () => {
    // Arrange: the output of a first run is the input of the retry
    const first = await rewriteBuffer(readFixture('alternative-with-pdf.eml'), RULES);

    // Act
    const retry = await rewriteBuffer(first.output, RULES);

    // Assert
    expect(retry.report.alreadyRewritten).toBe(true);
    expect(retry.output.equals(first.output)).toBe(true);
    expect(retry.report.parts).toEqual([]);
  });

  it('settles head before the body is read, telling whether the marker matches', async () => {
    const first = await rewriteBuffer(readFixture('plain-7bit.eml'), RULES);
    // A source that stays open, as a large message still arriving would
    const source = new Readable({ read() {} });
    source.push(first.output);
    const run = startPlannedRewrite(source, RULES);
    await expect(run.head).resolves.toMatchObject({ alreadyRewritten: true });
    run.cancel();
    await expect(run.done).rejects.toThrow('rewrite cancelled');
  });

  it('replaces a marker with another value and rewrites the message', async () => {
    const input = Buffer.from(
      `X-Mail-Rewrite-Id: forged\r\n${readFixture('plain-7bit.eml').toString('latin1')}`,
      'latin1',
    );
    const { output, report } = await rewriteBuffer(input, RULES);
    expect(report.foreignMarkerRemoved).toBe(true);
    expect(output.toString('latin1')).not.toContain('forged');
    expect(topHeader(output, 'X-Mail-Rewrite-Id')).toBe('abc123');
    expect(topHeader(output, 'Subject')).toBe('[EXTERNAL] Lunch?');
  });

  it('adds the disclaimer to both alternatives and keeps the attachment byte-identical', async () => {
    // Arrange
    const input = readFixture('alternative-with-pdf.eml');

    // Act
    const { output, report } = await rewriteBuffer(input, RULES);

    // Assert
    const [before, after] = [await leafParts(input), await leafParts(output)];
    const text = after.find((p) => p.contentType === 'text/plain');
    const html = after.find((p) => p.contentType === 'text/html');
    expect(text?.decoded.toString('utf8')).toBe(
      'Hi Bob,\r\n\r\nplease find the figures attached. Grüße,\r\nAlice\r\n\r\n' +
        'CAUTION: this message comes from outside the company.',
    );
    expect(html?.decoded.toString('utf8')).toMatch(
      `<br>Alice</p>${FOOTER_OPENING}<p class="external-warning">CAUTION: this message comes from outside.</p></div></BODY></html>`,
    );
    const pdfBefore = before.find((p) => p.contentType === 'application/pdf');
    const pdfAfter = after.find((p) => p.contentType === 'application/pdf');
    expect(pdfAfter?.raw.equals(pdfBefore?.raw ?? Buffer.alloc(0))).toBe(true);
    expect(pdfAfter?.headers).toBe(pdfBefore?.headers);
    expect(report.parts.map((p) => [p.part, p.change])).toEqual([
      ['1.1', 'rewritten'],
      ['1.2', 'rewritten'],
    ]);
  });

  it('keeps every byte before the first changed part, but for the marker at the end of the headers', async () => {
    const input = readFixture('alternative-with-pdf.eml');
    const { output } = await rewriteBuffer(input, { ...RULES, subjectTag: undefined });
    const headerEnd = input.indexOf('\r\n\r\n') + 2;
    const marker = Buffer.from('X-Mail-Rewrite-Id: abc123\r\n');
    const firstChange = input.indexOf('Alice\r\n--alt-boundary-2');
    const expected = Buffer.concat([
      input.subarray(0, headerEnd),
      marker,
      input.subarray(headerEnd, firstChange),
    ]);
    expect(output.subarray(0, expected.length).equals(expected)).toBe(true);
  });

  it('tags an encoded, folded subject without re-encoding it', async () => {
    const { output, report } = await rewriteBuffer(
      readFixture('html-base64-encoded-subject.eml'),
      RULES,
    );
    expect(report.subject).toBe('tagged');
    expect(output.toString('latin1')).toContain(
      'Subject: [EXTERNAL]\r\n =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4gdW5kIGVpbiBzZWhyIGxhbmdlciBC?=\r\n =?UTF-8?B?ZXRyZWZmIGbDvHIgZGllIEZhbHR1bmc=?=\r\n',
    );
    expect(libmime.decodeWords(topHeader(output, 'Subject') ?? '')).toBe(
      '[EXTERNAL] Grüße aus München und ein sehr langer Betreff für die Faltung',
    );
  });

  it('does not tag a reply whose subject already carries the tag', async () => {
    const input = readFixture('latin1-8bit.eml');
    const { output, report } = await rewriteBuffer(input, RULES);
    expect(report.subject).toBe('already-tagged');
    expect(topHeader(output, 'Subject')).toBe(topHeader(input, 'Subject'));
  });

  it('adds a Subject header when the message has none', async () => {
    const input = Buffer.from('From: a@example.com\r\n\r\nHello\r\n');
    const { output, report } = await rewriteBuffer(input, RULES);
    expect(report.subject).toBe('added');
    expect(topHeader(output, 'Subject')).toBe('[EXTERNAL]');
  });

  it('inserts the HTML disclaimer before the last </body> of a base64 part', async () => {
    const { output } = await rewriteBuffer(readFixture('html-base64-encoded-subject.eml'), RULES);
    const [html] = await leafParts(output);
    expect(html?.decoded.toString('utf8')).toBe(
      '<!DOCTYPE html><html><body><p>Grüße aus München — ça va?</p><!-- </body> in a comment -->' +
        `${FOOTER_OPENING}<p class="external-warning">CAUTION: this message comes from outside.</p></div></body></html>\r\n`,
    );
    expect(
      html?.raw
        .toString('latin1')
        .split('\r\n')
        .every((l) => l.length <= 76),
    ).toBe(true);
  });

  it('appends to HTML that has no </body> or </html>', async () => {
    const input = Buffer.from('Content-Type: text/html\r\n\r\n<p>short note</p>\r\n');
    const { output } = await rewriteBuffer(input, RULES);
    const [html] = await leafParts(output);
    expect(html?.decoded.toString()).toBe(
      `<p>short note</p>${FOOTER_OPENING}<p class="external-warning">CAUTION: this message comes from outside.</p></div>\r\n`,
    );
  });

  it('never changes the content of multipart/signed', async () => {
    const input = readFixture('signed.eml');
    const { output, report } = await rewriteBuffer(input, RULES);
    const body = (b: Buffer) => b.subarray(b.indexOf('\r\n\r\n'));
    expect(body(output).equals(body(input))).toBe(true);
    expect(report.parts).toEqual([
      expect.objectContaining({
        part: 'TEXT',
        change: 'skipped',
        reason: 'multipart/signed content must not change',
      }),
    ]);
  });

  it('never changes an attached message/rfc822', async () => {
    const input = readFixture('forwarded-message.eml');
    const { output } = await rewriteBuffer(input, RULES);
    const attached = (b: Buffer) => b.subarray(b.indexOf('Content-Type: message/rfc822'));
    expect(attached(output).equals(attached(input))).toBe(true);
    const [text] = await leafParts(output);
    expect(text?.decoded.toString()).toContain('See the note below.\r\n\r\nCAUTION');
  });

  it('re-encodes a 7bit part as quoted-printable when the disclaimer is not ASCII', async () => {
    const { output, report } = await rewriteBuffer(readFixture('plain-7bit.eml'), {
      ...RULES,
      footer: { text: 'Achtung: externer Absender. Vorsicht bei Links — 注意' },
    });
    const [text] = await leafParts(output);
    expect(text?.headers).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(text?.headers).toContain('charset=utf-8');
    expect(text?.decoded.toString('utf8')).toContain('Vorsicht bei Links — 注意');
    expect(report.parts[0]).toMatchObject({
      transferEncoding: { from: '7bit', to: 'quoted-printable' },
      charset: { from: 'us-ascii', to: 'utf-8' },
    });
    expect(output.every((byte) => byte < 0x80)).toBe(true);
  });

  it('writes the disclaimer in the part’s charset when that charset can hold it', async () => {
    const { output, report } = await rewriteBuffer(readFixture('latin1-8bit.eml'), {
      ...RULES,
      footer: { text: 'Attention : expéditeur externe.' },
    });
    const [text] = await leafParts(output);
    expect(text?.headers).toContain('charset=iso-8859-1');
    expect(text?.decoded.toString('latin1')).toBe(
      "Deux cafés crème, s'il vous plaît.\r\n\r\nAttention : expéditeur externe.\r\n",
    );
    expect(report.parts[0]?.charset).toBeUndefined();
  });

  it('converts the part to UTF-8 when its charset cannot hold the disclaimer', async () => {
    const { output } = await rewriteBuffer(readFixture('latin1-8bit.eml'), {
      ...RULES,
      footer: { text: 'Внимание: внешний отправитель' },
    });
    const [text] = await leafParts(output);
    expect(text?.headers).toContain('charset=utf-8');
    expect(text?.decoded.toString('utf8')).toBe(
      "Deux cafés crème, s'il vous plaît.\r\n\r\nВнимание: внешний отправитель\r\n",
    );
  });

  it('leaves a part in an unknown charset unchanged and says why', async () => {
    const input = Buffer.from(
      'Content-Type: text/plain; charset=x-unknown-42\r\n\r\nopaque\r\n',
      'latin1',
    );
    const { output, report } = await rewriteBuffer(input, RULES);
    expect(output.toString('latin1').endsWith('\r\n\r\nopaque\r\n')).toBe(true);
    expect(report.parts).toEqual([
      expect.objectContaining({ change: 'skipped', reason: 'unknown charset x-unknown-42' }),
    ]);
  });

  it('passes a text part larger than the limit unchanged', async () => {
    const input = readFixture('plain-7bit.eml');
    const { output, report } = await rewriteBuffer(input, { ...RULES, maxRewritePartBytes: 10 }, 4);
    expect(
      output.toString('latin1').endsWith('\r\n\r\nShall we meet at noon?\r\n\r\nCarol\r\n'),
    ).toBe(true);
    expect(report.parts).toEqual([
      expect.objectContaining({ change: 'skipped', reason: 'part too large to rewrite' }),
    ]);
  });

  it('re-encodes a mislabelled 7bit part holding raw UTF-8 (as mimetext writes it)', async () => {
    // Arrange: mimetext writes bare LF and labels raw UTF-8 as 7bit; SMTP hands over CRLF
    const built = createMimeMessage();
    built.setSender('partner@example.org');
    built.setRecipient('bob@corp.example');
    built.setSubject('Größe');
    built.addMessage({ contentType: 'text/plain', data: 'Maße und Gewichte' });
    const input = Buffer.from(built.asRaw().replace(/\r?\n/g, '\r\n'), 'utf8');

    // Act
    const { output } = await rewriteBuffer(input, RULES);

    // Assert
    const [text] = await leafParts(output);
    expect(text?.headers).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(text?.decoded.toString('utf8')).toContain('Maße und Gewichte\r\n\r\nCAUTION');
    expect(bareLineFeeds(output)).toBe(0);
  });

  it('fails with RewriteDeclinedError on an empty message', async () => {
    await expect(rewriteBuffer(Buffer.alloc(0), RULES)).rejects.toThrow(RewriteDeclinedError);
  });

  it('fails with RewriteDeclinedError when a header block passes the parser’s limit', async () => {
    const huge = `${'X-Filler: '.padEnd(900, 'x')}\r\n`.repeat(2000);
    const input = Buffer.from(`${huge}Subject: big\r\n\r\nbody\r\n`);
    const failure = await rewriteBuffer(input, RULES).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RewriteDeclinedError);
    expect((failure as RewriteDeclinedError).reason).toBe('unparseable');
    expect((failure as Error).message).toMatch(/header block is larger than 1048576 bytes/);
  });

  it('passes a source error through unchanged, so the caller can retry', async () => {
    const failure = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const source = new Readable({
      read() {
        this.push(Buffer.from('Subject: x\r\n\r\npartial'));
        this.destroy(failure);
      },
    });
    const run = startPlannedRewrite(source, RULES);
    run.output.resume();
    await expect(run.done).rejects.toBe(failure);
  });
});
