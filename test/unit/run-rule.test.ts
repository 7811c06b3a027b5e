import { Readable } from 'node:stream';
import type { MessageFlow, MessageStore } from '../../lambda/aws/ports';
import { fromSdkError } from '../../lambda/aws/sdk-errors';
import { readConfig } from '../../lambda/config';
import { ENV } from '../../lambda/env-names';
import { type RuleDeps, runRule } from '../../lambda/rule/run-rule';
import { loadEvent } from '../../local/events';
import { readFixture } from '../helpers/mime';
import { testPolicy } from '../helpers/policies';
import { RecordingLog } from '../helpers/recording-log';

// Fakes stand in only for what no real part produces on demand (their SDK errors translated as
// the adapter translates them): lib-storage closing the body
// without an error when S3 fails, and a source that ends early without an error.
const event = loadEvent('inbound.json');
const config = readConfig({ [ENV.bucket]: 'unit-bucket' });

function flowServing(source: () => Readable): MessageFlow & { puts: number } {
  return {
    puts: 0,
    getRawMessage: async () => ({ body: source() }),
    async putRawMessage() {
      this.puts++;
    },
  };
}

/** A store that reads the whole upload and keeps nothing. */
const drainingStore: MessageStore = {
  async put(key, body) {
    for await (const _ of body) {
      // drain
    }
    return { bucket: 'unit-bucket', key };
  },
};

function ruleDeps(messageFlow: MessageFlow, store: MessageStore, log: RecordingLog): RuleDeps {
  return { messageFlow, store, config, policy: testPolicy(), log, now: Date.now };
}

describe('runRule failure paths', () => {
  it('retries with the upload’s own error when S3 fails and closes the body silently', async () => {
    // Arrange: like lib-storage when CreateMultipartUpload keeps failing
    const slowDown = Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    const store: MessageStore = {
      async put(_key, body) {
        body.destroy();
        // lib-storage rejects after its abort request, so the rewrite notices the close first.
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw fromSdkError(slowDown);
      },
    };
    // Larger than the stream buffers, so the rewrite is still running when the body closes.
    const attachment = Buffer.alloc(2 * 1024 * 1024, 1)
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n');
    const large = Buffer.from(
      `Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b--\r\n`,
    );
    const flow = flowServing(() => Readable.from([large]));
    const log = new RecordingLog();

    // Act
    const outcome = runRule(event, ruleDeps(flow, store, log));

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: 'SlowDown', cause: slowDown });
    expect(log.entries.at(-1)?.attributes).toMatchObject({
      outcome: 'retry',
      errorName: 'SlowDown',
    });
    expect(flow.puts).toBe(0);
  });

  it('retries when the message stream closes early without an error', async () => {
    const source = () =>
      new Readable({
        read() {
          this.push(readFixture('plain-7bit.eml').subarray(0, 120));
          this.destroy();
        },
      });
    const flow = flowServing(source);
    const log = new RecordingLog();

    await expect(runRule(event, ruleDeps(flow, drainingStore, log))).rejects.toThrow();

    expect(log.entries.at(-1)?.attributes).toMatchObject({
      outcome: 'retry',
      reason: 'stream-closed-early',
    });
    expect(flow.puts).toBe(0);
  });
});

describe('runRule at the deadline and around it', () => {
  // No real service answers "frozen" at the very moment the budget runs out: a fake Put does.
  it.each([
    ['MessageFrozen', 400, 'message-frozen'],
    ['AbortError', undefined, 'out-of-time'],
    ['ServiceUnavailable', 503, 'out-of-time'],
  ])(
    'names a %s (status %s) that arrives once the budget ran out as %s',
    async (name, httpStatusCode, reason) => {
      const messageFlow: MessageFlow = {
        getRawMessage: async () => ({ body: Readable.from([readFixture('plain-7bit.eml')]) }),
        putRawMessage: (_id, _location, signal) =>
          new Promise((_resolve, reject) =>
            signal?.addEventListener('abort', () =>
              reject(
                fromSdkError(
                  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } }),
                ),
              ),
            ),
          ),
      };
      const log = new RecordingLog();

      const result = await runRule(
        event,
        ruleDeps(messageFlow, drainingStore, log),
        // 600 ms left, less the reply margin: the budget runs out during the Put.
        { getRemainingTimeInMillis: () => 600 },
      );

      expect(result).toMatchObject({ outcome: 'delivered-unchanged-after-failure', reason });
    },
  );

  it('keeps the answer when the metrics port fails, and logs that it did', async () => {
    const flow = flowServing(() => Readable.from([readFixture('plain-7bit.eml')]));
    const log = new RecordingLog();

    const result = await runRule(event, {
      ...ruleDeps(flow, drainingStore, log),
      metrics: {
        record() {
          throw new Error('stdout closed');
        },
      },
    });

    expect(result.outcome).toBe('rewritten');
    expect(flow.puts).toBe(1);
    expect(log.entries.at(-1)).toMatchObject({
      message: 'metrics could not be recorded',
      attributes: { reason: 'metrics-failed' },
    });
  });
});

describe('runRule when the budget runs out during the Get', () => {
  it('stops reading a body that arrives after the deadline, and answers with the fallback', async () => {
    // A Get that answers only once the budget is gone, with a body that never ends by itself.
    const body = new Readable({ read() {} });
    const messageFlow: MessageFlow = {
      getRawMessage: (_id, signal) =>
        new Promise((resolve) => signal?.addEventListener('abort', () => resolve({ body }))),
      putRawMessage: async () => undefined,
    };

    const result = await runRule(event, ruleDeps(messageFlow, drainingStore, new RecordingLog()), {
      getRemainingTimeInMillis: () => 600,
    });

    expect(result).toMatchObject({
      outcome: 'delivered-unchanged-after-failure',
      reason: 'out-of-time',
    });
    expect(body.destroyed).toBe(true);
  });
});

describe('runRule when the policy fails on the head', () => {
  it('stops reading the message instead of leaving the rewrite paused at its head', async () => {
    // No real policy throws while deciding; a getter read only by the head's decision stands in.
    const policy = testPolicy();
    Object.defineProperty(policy, 'autoGenerated', {
      get: () => {
        throw new Error('policy fault');
      },
    });
    const headers = 'From: a@example.net\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\n';
    // A body that never ends by itself: only the rule can stop reading it.
    const body = new Readable({ read() {} });
    body.push(headers);
    const flow = flowServing(() => body);

    // The failure path asks the same policy for its fallback, so the invocation fails (a retry).
    const failure = await runRule(event, {
      ...ruleDeps(flow, drainingStore, new RecordingLog()),
      policy,
    }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ message: 'policy fault' });
    // The cancelled pipeline destroys its source on the next turns of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(body.destroyed).toBe(true);
  });
});
