import { loadEvent } from '../../local/events';
import { readFixture } from '../helpers/mime';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');

function bigMessage(): Buffer {
  const attachment = Buffer.alloc(12 * 1024 * 1024, 5)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    'Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n' +
      `--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b--\r\n`,
  );
}

describe('the time budget', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.services.close();
  });

  it('delivers, without a Put, when a slow Get outlasts the budget before any rule is known', async () => {
    // Arrange: a clock that runs 100 times faster, so the 12.5 s budget passes in 125 ms
    const realStart = Date.now();
    harness = await startHarness({}, testPolicy(), {
      now: () => realStart + (Date.now() - realStart) * 100,
    });
    const { emulator } = harness.services;
    emulator.addMessage('slow-1', readFixture('alternative-with-pdf.eml'));
    emulator.failNext('get', { kind: 'slow', bytes: 200, everyMs: 50 });

    // Act
    const result = await harness.run({ ...inbound, messageId: 'slow-1' });

    // Assert
    expect(result).toMatchObject({
      outcome: 'delivered-unchanged-after-failure',
      reason: 'out-of-time',
    });
    expect(result.response).toEqual({
      actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }],
    });
    expect(emulator.updates).toHaveLength(0);
    expect(harness.log.entries.at(-1)?.attributes).toMatchObject({ reason: 'out-of-time' });
  });

  it('never runs past what the Lambda context has left', async () => {
    harness = await startHarness();
    const { emulator } = harness.services;
    // 8 KB at 20 bytes every 100 ms would take 40 s without the budget.
    emulator.addMessage('slow-2', readFixture('alternative-with-pdf.eml'));
    emulator.failNext('get', { kind: 'slow', bytes: 20, everyMs: 100 });

    const result = await harness.run(
      { ...inbound, messageId: 'slow-2' },
      { getRemainingTimeInMillis: () => 900 },
    );

    expect(result.reason).toBe('out-of-time');
    // No wall-clock assertion (it would fail on a loaded machine): a run that waited for the 40 s
    // Get would outlast this test's timeout instead.
  }, 20_000);

  it('aborts an upload under way when the clock runs out in its middle, and puts nothing', async () => {
    let jump = 0;
    let uploadStarted = false;
    harness = await startHarness({}, testPolicy(), {
      now: () => Date.now() + jump,
      store: (store) => ({
        put: (key, body, signal) => {
          uploadStarted = true;
          // The clock passes the deadline once the upload is under way.
          setTimeout(() => {
            jump = 60_000;
          }, 30);
          return store.put(key, body, signal);
        },
      }),
    });
    const { emulator } = harness.services;
    emulator.addMessage('big-1', bigMessage());

    const result = await harness.run({ ...inbound, messageId: 'big-1' });

    expect(uploadStarted).toBe(true);
    expect(result).toMatchObject({
      outcome: 'delivered-unchanged-after-failure',
      reason: 'out-of-time',
    });
    expect(emulator.updates).toHaveLength(0);
  });

  it('bounces instead when the policy’s fallback says so', async () => {
    const realStart = Date.now();
    harness = await startHarness({}, testPolicy({ fallback: { bounce: 'Try again later.' } }), {
      now: () => realStart + (Date.now() - realStart) * 100,
    });
    harness.services.emulator.addMessage('slow-3', readFixture('alternative-with-pdf.eml'));
    // The headers come in the first piece: the rules are known when the time runs out.
    harness.services.emulator.failNext('get', { kind: 'slow', bytes: 1000, everyMs: 50 });

    const result = await harness.run({ ...inbound, messageId: 'slow-3' });

    expect(result).toMatchObject({ outcome: 'bounced-by-fallback', reason: 'out-of-time' });
  });
});
