import { loadEvent } from '../../local/events';
import { THROTTLING } from '../../local/message-flow-emulator';
import type { S3FaultProxy } from '../../local/s3-fault-proxy';
import { readFixture } from '../helpers/mime';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');

function bigMessage(): Buffer {
  const attachment = Buffer.alloc(12 * 1024 * 1024, 3)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    'Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n' +
      `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b--\r\n`,
  );
}

describe('faults of the upload and the Put', () => {
  let harness: Harness;
  let s3: S3FaultProxy;

  beforeEach(async () => {
    harness = await startHarness({}, testPolicy(), { s3Faults: true });
    s3 = harness.services.s3Faults as S3FaultProxy;
  });

  afterEach(async () => {
    await harness.services.close();
  });

  it('throws so that WorkMail retries when S3 keeps failing, and puts nothing', async () => {
    harness.services.emulator.addMessage('m-1', readFixture('plain-7bit.eml'));
    s3.failNext({ method: 'PUT' }, { status: 500, code: 'InternalError' }, 2);

    await expect(harness.run({ ...inbound, messageId: 'm-1' })).rejects.toMatchObject({
      name: 'InternalError',
    });

    expect(harness.log.entries.at(-1)?.attributes).toMatchObject({
      outcome: 'retry',
      reason: 'transient-error',
    });
    expect(harness.services.emulator.updates).toHaveLength(0);
  });

  it('aborts a multipart upload whose second part fails, leaving no parts behind', async () => {
    harness.services.emulator.addMessage('m-2', bigMessage());
    s3.failNext({ method: 'PUT', query: 'partNumber=2' }, { status: 503, code: 'SlowDown' }, 2);

    await expect(harness.run({ ...inbound, messageId: 'm-2' })).rejects.toMatchObject({
      name: 'SlowDown',
    });

    expect(s3.requests.some((r) => r.method === 'POST' && r.url.includes('uploads'))).toBe(true);
    expect(s3.requests.some((r) => r.method === 'DELETE' && r.url.includes('uploadId='))).toBe(
      true,
    );
    expect(harness.services.emulator.updates).toHaveLength(0);
  });

  it('answers with the fallback when S3 is slower than the budget', async () => {
    await harness.services.close();
    const realStart = Date.now();
    harness = await startHarness({}, testPolicy(), {
      s3Faults: true,
      now: () => realStart + (Date.now() - realStart) * 50,
    });
    s3 = harness.services.s3Faults as S3FaultProxy;
    harness.services.emulator.addMessage('m-3', readFixture('plain-7bit.eml'));
    s3.failNext({ method: 'PUT' }, { delayMs: 2_000 });

    const result = await harness.run({ ...inbound, messageId: 'm-3' });

    expect(result).toMatchObject({
      outcome: 'delivered-unchanged-after-failure',
      reason: 'out-of-time',
    });
    expect(harness.services.emulator.updates).toHaveLength(0);
  });

  it('throws so that WorkMail retries when the Put is throttled', async () => {
    harness.services.emulator.addMessage('m-4', readFixture('plain-7bit.eml'));
    harness.services.emulator.failNext('put', THROTTLING, 2);

    await expect(harness.run({ ...inbound, messageId: 'm-4' })).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect(harness.log.entries.at(-1)?.attributes).toMatchObject({
      outcome: 'retry',
      reason: 'throttled',
    });
  });

  it('streams: the upload starts before the Get body has ended', async () => {
    harness.services.emulator.addMessage('m-6', bigMessage());
    // 12 MB in pieces of 1 MB every 100 ms: the body takes about 1.2 s to arrive.
    harness.services.emulator.failNext('get', { kind: 'slow', bytes: 1024 * 1024, everyMs: 100 });

    const result = await harness.run({ ...inbound, messageId: 'm-6' });

    expect(result.outcome).toBe('rewritten');
    const firstUpload = s3.requests.find((r) => r.method === 'POST' && r.url.includes('uploads'));
    const bodyEnded = harness.services.emulator.dripsEndedAt[0] ?? 0;
    expect(firstUpload?.at).toBeLessThan(bodyEnded);
  });

  it('gives the same key and the same final content when one invocation arrives twice at once', async () => {
    harness.services.emulator.addMessage('m-5', readFixture('alternative-with-pdf.eml'));
    const event = { ...inbound, messageId: 'm-5' };

    const results = await Promise.all([harness.run(event), harness.run(event)]);

    expect(results.map((r) => r.response)).toEqual([results[0]?.response, results[0]?.response]);
    expect(new Set(results.map((r) => r.objectKey).filter(Boolean)).size).toBe(1);
    const updates = harness.services.emulator.updates;
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((u) => u.content.equals(updates[0]?.content ?? Buffer.alloc(0)))).toBe(
      true,
    );
    expect(
      harness.services.emulator.message('m-5')?.equals(updates[0]?.content ?? Buffer.alloc(0)),
    ).toBe(true);
  });
});
