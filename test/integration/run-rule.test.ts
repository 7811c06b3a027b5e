import { ENV } from '../../lambda/env-names';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { DELIVER_TO_ALL } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { SERVICE_UNAVAILABLE, THROTTLING } from '../../local/message-flow-emulator';
import { leafParts, readFixture, topHeader } from '../helpers/mime';
import { CAUTION_TEXT, testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');

function eventFor(messageId: string, invocationId = inbound.invocationId): WorkMailRunLambdaEvent {
  return { ...structuredClone(inbound), messageId, invocationId };
}

describe('runRule against the local S3 server and Message Flow emulator', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness();
  });

  afterEach(async () => {
    await harness.services.close();
  });

  it('rewrites a multipart/alternative message with a PDF and puts it back', async () => {
    // Arrange
    const original = readFixture('alternative-with-pdf.eml');
    const { emulator } = harness.services;
    emulator.addMessage('msg-1', original);

    // Act
    const result = await harness.run(eventFor('msg-1'));

    // Assert: the answer
    expect(result.response).toEqual({
      actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }],
    });
    expect(result.outcome).toBe('rewritten');
    // Assert: the stored object is exactly what WorkMail read back, under the invocation's key
    expect(result.objectKey).toBe(`rewritten/${inbound.invocationId}`);
    const stored = await harness.readObject(result.objectKey ?? '');
    expect(emulator.updates).toHaveLength(1);
    expect(emulator.updates[0]?.s3Reference).toEqual({
      bucket: harness.services.bucket,
      key: result.objectKey,
    });
    expect(emulator.updates[0]?.content.equals(stored)).toBe(true);
    expect(emulator.message('msg-1')?.equals(stored)).toBe(true);
    // Assert: the content
    expect(topHeader(stored, 'Subject')).toBe('[EXTERNAL] Quarterly figures');
    expect(topHeader(stored, 'X-Mail-Rewrite-Id')).toBe(inbound.invocationId);
    const parts = await leafParts(stored);
    const before = await leafParts(original);
    expect(parts.find((p) => p.contentType === 'text/plain')?.decoded.toString()).toContain(
      'Alice\r\n\r\nCAUTION: This email originated from outside the organization.',
    );
    expect(parts.find((p) => p.contentType === 'text/html')?.decoded.toString()).toMatch(
      /CAUTION: This email originated from outside the organization\..*<\/p><\/div><\/BODY><\/html>$/s,
    );
    const pdf = parts.find((p) => p.contentType === 'application/pdf');
    const pdfBefore = before.find((p) => p.contentType === 'application/pdf');
    expect(pdf?.raw.equals(pdfBefore?.raw ?? Buffer.alloc(0))).toBe(true);
    expect(pdf?.headers).toBe(pdfBefore?.headers);
  });

  it('answers a retry of a successful invocation without rewriting twice', async () => {
    harness.services.emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
    await harness.run(eventFor('msg-1'));
    const afterFirst = harness.services.emulator.message('msg-1');

    const retry = await harness.run(eventFor('msg-1'));

    expect(retry.outcome).toBe('already-rewritten');
    expect(retry.response).toEqual(DELIVER_TO_ALL);
    expect(harness.services.emulator.updates).toHaveLength(1);
    expect(harness.services.emulator.message('msg-1')?.equals(afterFirst ?? Buffer.alloc(0))).toBe(
      true,
    );
  });

  it('stores under the same key when a failed invocation is retried (s3rver ignores If-None-Match: moto’s test covers it)', async () => {
    const { emulator } = harness.services;
    emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
    emulator.failNext('put', SERVICE_UNAVAILABLE, 2);

    await expect(harness.run(eventFor('msg-1'))).rejects.toMatchObject({
      name: 'ServiceUnavailable',
    });
    const retry = await harness.run(eventFor('msg-1'));

    expect(retry.outcome).toBe('rewritten');
    expect(retry.objectKey).toBe(`rewritten/${inbound.invocationId}`);
    expect(emulator.updates).toHaveLength(1);
    const stored = await harness.readObject(retry.objectKey ?? '');
    expect(stored.equals(emulator.updates[0]?.content ?? Buffer.alloc(0))).toBe(true);
  });

  it('changes nothing, and puts nothing, when a new invocation finds its own earlier output on trusted mail', async () => {
    await harness.services.close();
    harness = await startHarness(
      {},
      testPolicy({ rules: [{ name: 'Footer', actions: { footer: { text: CAUTION_TEXT } } }] }),
    );
    const { emulator } = harness.services;
    emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
    const outbound = (invocationId: string): WorkMailRunLambdaEvent => ({
      ...eventFor('msg-1', invocationId),
      flowDirection: 'OUTBOUND',
    });
    await harness.run(outbound('first-invocation'));

    const second = await harness.run(outbound('second-invocation'));

    expect(second.outcome).toBe('unchanged');
    expect(second.report).toMatchObject({ foreignMarkerRemoved: true });
    expect(second.report?.parts).toEqual([expect.objectContaining({ change: 'already-present' })]);
    expect(emulator.updates).toHaveLength(1);
  });

  it('warns afresh when another invocation finds a marked message from outside: only its own marker is trusted', async () => {
    const { emulator } = harness.services;
    emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
    await harness.run(eventFor('msg-1', 'first-invocation'));

    const second = await harness.run(eventFor('msg-1', 'second-invocation'));

    expect(second.outcome).toBe('rewritten');
    expect(second.report).toMatchObject({ foreignMarkerRemoved: true, subject: 'already-tagged' });
    expect(second.report?.parts).toEqual([expect.objectContaining({ added: ['footer'] })]);
    expect(emulator.updates).toHaveLength(2);
  });

  it('leaves outbound mail alone by default, without fetching it', async () => {
    const outbound = loadEvent('outbound.json');
    harness.services.emulator.addMessage(outbound.messageId, readFixture('plain-7bit.eml'));
    harness.services.emulator.failNext('get', { kind: 'reset' });

    const result = await harness.run(outbound);

    expect(result).toMatchObject({ outcome: 'no-rule-applies', response: DELIVER_TO_ALL });
    expect(harness.log.entries.at(-1)?.attributes).toMatchObject({ flowDirection: 'OUTBOUND' });
  });

  it('rewrites outbound mail when a rule of the policy covers that direction', async () => {
    await harness.services.close();
    harness = await startHarness(
      {},
      testPolicy({ rules: [{ name: 'All', actions: { subjectTag: '[X]' } }] }),
    );
    const outbound = loadEvent('outbound.json');
    harness.services.emulator.addMessage(outbound.messageId, readFixture('plain-7bit.eml'));

    const result = await harness.run(outbound);

    expect(result.outcome).toBe('rewritten');
  });

  it('streams a 12 MB message through a multipart upload unchanged but for the rewrite', async () => {
    const attachment = Buffer.alloc(9 * 1024 * 1024, 7)
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n');
    const original = Buffer.from(
      'Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n' +
        'Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n' +
        'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n' +
        `Content-Disposition: attachment; filename=big.bin\r\n\r\n${attachment}\r\n--b--\r\n`,
    );
    harness.services.emulator.addMessage('msg-big', original);

    const result = await harness.run(eventFor('msg-big'));

    expect(result.outcome).toBe('rewritten');
    const stored = harness.services.emulator.message('msg-big') ?? Buffer.alloc(0);
    expect(stored.length).toBeGreaterThan(12 * 1024 * 1024);
    const tail = original.subarray(
      original.indexOf('--b\r\nContent-Type: application/octet-stream'),
    );
    expect(stored.subarray(stored.length - tail.length).equals(tail)).toBe(true);
  });

  it('delivers without a Put when the rules that apply change nothing', async () => {
    await harness.services.close();
    harness = await startHarness({}, testPolicy({ rules: [{ name: 'Only route', actions: {} }] }));
    harness.services.emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));

    const result = await harness.run(eventFor('msg-1'));

    expect(result.outcome).toBe('unchanged');
    expect(harness.services.emulator.updates).toHaveLength(0);
  });

  describe('failures', () => {
    it.each([
      ['MessageFrozen', 'message-frozen'],
      ['InvalidContentLocation', 'invalid-content-location'],
      ['ResourceNotFoundException', 'message-not-found'],
    ] as const)('delivers the original unchanged when Put fails with %s', async (error, reason) => {
      const { emulator } = harness.services;
      const original = readFixture('plain-7bit.eml');
      emulator.addMessage('msg-1', original);
      emulator.failNext('put', { kind: 'error', error });

      const result = await harness.run(eventFor('msg-1'));

      expect(result).toMatchObject({ outcome: 'delivered-unchanged-after-failure', reason });
      expect(result.response).toEqual(DELIVER_TO_ALL);
      expect(emulator.message('msg-1')?.equals(original)).toBe(true);
      expect(harness.log.entries.at(-1)?.attributes).toMatchObject({ errorName: error, reason });
    });

    it('logs only header names and line numbers of a MessageRejected text', async () => {
      const { emulator } = harness.services;
      emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
      emulator.failNext('put', {
        kind: 'error',
        error: 'MessageRejected',
        message: 'Invalid header at line 3: Subject: Secret merger plans for carol@partner.example',
      });

      const result = await harness.run(eventFor('msg-1'));

      expect(result.reason).toBe('message-rejected');
      const entry = harness.log.entries.at(-1);
      expect(entry?.level).toBe('warn');
      expect(entry?.attributes.rejection).toEqual({ headerNames: ['Subject'], lineNumbers: [3] });
      expect(harness.log.text()).not.toMatch(/Secret|merger|carol/);
    });

    it('delivers unchanged when the message is not found', async () => {
      const result = await harness.run(eventFor('no-such-message'));
      expect(result).toMatchObject({
        outcome: 'delivered-unchanged-after-failure',
        reason: 'message-not-found',
      });
    });

    it.each([
      ['throttling', THROTTLING, 'ThrottlingException'],
      ['a 5xx error', SERVICE_UNAVAILABLE, 'ServiceUnavailable'],
    ])(
      'throws so that WorkMail retries when Get keeps failing with %s',
      async (_case, fault, name) => {
        const { emulator } = harness.services;
        emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
        emulator.failNext('get', fault, 2);

        await expect(harness.run(eventFor('msg-1'))).rejects.toMatchObject({ name });

        expect(harness.log.entries.at(-1)).toMatchObject({
          level: 'error',
          attributes: { outcome: 'retry' },
        });
        expect(emulator.updates).toHaveLength(0);
      },
    );

    it('recovers inside the invocation when only the first Get fails', async () => {
      const { emulator } = harness.services;
      emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
      emulator.failNext('get', THROTTLING, 1);
      const result = await harness.run(eventFor('msg-1'));
      expect(result.outcome).toBe('rewritten');
    });

    it('throws when the connection is reset', async () => {
      const { emulator } = harness.services;
      emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));
      emulator.failNext('get', { kind: 'reset' }, 2);
      await expect(harness.run(eventFor('msg-1'))).rejects.toThrow();
      expect(harness.log.entries.at(-1)?.attributes).toMatchObject({
        outcome: 'retry',
        reason: 'transient-error',
      });
    });

    it('throws, and puts nothing, when the body is cut short', async () => {
      const { emulator } = harness.services;
      emulator.addMessage('msg-1', readFixture('alternative-with-pdf.eml'));
      emulator.failNext('get', { kind: 'truncate' });

      await expect(harness.run(eventFor('msg-1'))).rejects.toThrow('aborted');

      expect(harness.log.entries.at(-1)?.attributes).toMatchObject({
        outcome: 'retry',
        reason: 'transient-error',
        errorCode: 'ECONNRESET',
      });
      expect(emulator.updates).toHaveLength(0);
    });

    it('delivers unchanged, naming the field, when the event is malformed', async () => {
      const event = { ...structuredClone(inbound), flowDirection: 'SIDEWAYS' };
      const result = await harness.run(event);
      expect(result).toMatchObject({
        outcome: 'delivered-unchanged-after-failure',
        reason: 'invalid-event',
      });
      expect(harness.log.entries.at(-1)?.attributes.errorMessage).toMatch(
        /event field flowDirection/,
      );
    });

    it('delivers unchanged, without a Put, when the MIME cannot be parsed', async () => {
      const { emulator } = harness.services;
      const huge = `${'X-Filler: '.padEnd(900, 'x')}\r\n`.repeat(2000);
      emulator.addMessage('msg-1', Buffer.from(`${huge}Subject: big\r\n\r\nbody\r\n`));

      const result = await harness.run(eventFor('msg-1'));

      expect(result).toMatchObject({
        outcome: 'delivered-unchanged-after-failure',
        reason: 'declined-unparseable',
      });
      expect(emulator.updates).toHaveLength(0);
    });

    it('delivers unchanged when the bucket does not exist (a deployment error)', async () => {
      await harness.services.close();
      harness = await startHarness({ [ENV.bucket]: 'no-such-bucket' });
      harness.services.emulator.addMessage('msg-1', readFixture('plain-7bit.eml'));

      const result = await harness.run(eventFor('msg-1'));

      expect(result).toMatchObject({
        outcome: 'delivered-unchanged-after-failure',
        reason: 'unexpected-error',
      });
      expect(harness.log.entries.at(-1)).toMatchObject({
        level: 'error',
        attributes: { errorName: 'NoSuchBucket' },
      });
      expect(harness.services.emulator.updates).toHaveLength(0);
    });
  });

  it('logs no subject, body or address on the success path', async () => {
    const message = readFixture('alternative-with-pdf.eml');
    harness.services.emulator.addMessage('msg-1', message);
    await harness.run(eventFor('msg-1'));
    expect(harness.log.text()).not.toMatch(/Quarterly|figures attached|alice@|bob@|Partner/);
  });
});
