import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3MessageStore } from '../../lambda/aws/adapters';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { SERVICE_UNAVAILABLE } from '../../local/message-flow-emulator';
import { S3RVER_CREDENTIALS } from '../../local/s3-server';
import { base64Lines, multipart, part, withTopHeaders } from '../helpers/build-mime';
import { chunked, readFixture } from '../helpers/mime';
import { describeWithMoto, type MotoServer, startMoto } from '../helpers/moto-server';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

const inbound = loadEvent('inbound.json');

function eventFor(messageId: string, invocationId: string): WorkMailRunLambdaEvent {
  return { ...structuredClone(inbound), messageId, invocationId };
}

/** A message over lib-storage's 5 MB part size, so that its upload is multipart. */
function largeMessage(): Buffer {
  const attachment = Buffer.alloc(6 * 1024 * 1024, 0x5a);
  return withTopHeaders(
    [
      'From: Partner <a@partner.example>',
      'To: b@corp.example',
      'Subject: figures',
      'Date: Mon, 23 Nov 2026 10:00:00 +0000',
      'Message-ID: <large@partner.example>',
      'MIME-Version: 1.0',
    ],
    multipart('mixed', 'b1', [
      part(['Content-Type: text/plain; charset=us-ascii'], 'See attached.\r\n'),
      part(
        [
          'Content-Type: application/octet-stream; name="data.bin"',
          'Content-Transfer-Encoding: base64',
          'Content-Disposition: attachment; filename="data.bin"',
        ],
        base64Lines(attachment),
      ),
    ]),
  );
}

// moto enforces If-None-Match and answers version id "null"; s3rver does neither.
describeWithMoto('conditional writes, against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'store-plain' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'store-versioned' }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'store-versioned',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
  }, CHILD_PROCESS_TIMEOUT);

  afterAll(async () => {
    s3?.destroy();
    await moto?.close();
  });

  async function objectText(bucket: string, key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  }

  describe('s3MessageStore', () => {
    it('stores once, and a second write of the same key leaves the first object in place', async () => {
      // Act
      const store = s3MessageStore(s3, 'store-plain');
      const first = await store.put('rewritten/once', chunked(Buffer.from('first attempt')));
      const second = await store.put('rewritten/once', chunked(Buffer.from('second attempt')));
      // Assess
      expect(first).toEqual({ bucket: 'store-plain', key: 'rewritten/once' });
      expect(second).toEqual({ bucket: 'store-plain', key: 'rewritten/once', alreadyStored: true });
      expect(await objectText('store-plain', 'rewritten/once')).toBe('first attempt');
    });

    it('never passes on the version id "null" of an unversioned bucket (multipart upload)', async () => {
      const stored = await s3MessageStore(s3, 'store-plain').put(
        'rewritten/large',
        chunked(largeMessage()),
      );
      expect(stored).toEqual({ bucket: 'store-plain', key: 'rewritten/large' });
    });

    it('keeps the version id of a versioned bucket, and refuses a second write there too', async () => {
      const store = s3MessageStore(s3, 'store-versioned');
      const first = await store.put('rewritten/v', chunked(Buffer.from('first')));
      expect(first.versionId).toMatch(/^(?!null$).+/);
      await expect(store.put('rewritten/v', chunked(Buffer.from('second')))).resolves.toEqual({
        bucket: 'store-versioned',
        key: 'rewritten/v',
        alreadyStored: true,
      });
    });
  });

  describe('the rule, through the emulator', () => {
    let harness: Harness;

    beforeEach(async () => {
      harness = await startHarness({}, undefined, { s3Endpoint: moto.endpoint });
    });

    afterEach(async () => {
      await harness.services.close();
    });

    it('puts the object an earlier attempt stored when its Put failed, without rewriting it', async () => {
      // Prepare: the first attempt stores its output, then its Put fails twice (5xx, one retry)
      const { emulator } = harness.services;
      emulator.addMessage('msg-retry', readFixture('plain-7bit.eml'));
      emulator.failNext('put', SERVICE_UNAVAILABLE, 2);
      const event = eventFor('msg-retry', '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a');
      await expect(harness.run(event)).rejects.toMatchObject({ name: 'ServiceUnavailable' });
      const storedFirst = await harness.readObject('rewritten/0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a');
      // Act: WorkMail retries the invocation
      const retry = await harness.run(event);
      // Assess
      expect(retry.outcome).toBe('rewritten');
      expect(emulator.updates).toEqual([
        {
          messageId: 'msg-retry',
          s3Reference: {
            bucket: harness.services.bucket,
            key: 'rewritten/0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a',
          },
          content: storedFirst,
        },
      ]);
      expect(harness.log.entries.map((entry) => entry.message)).toContain(
        'an earlier attempt of this invocation stored the rewritten message: putting that one',
      );
    });

    it('repairs a rewrite WorkMail refused under a key of its own, not the refused object', async () => {
      // Prepare: a message without Date:, whose rewrite WorkMail refuses once
      const { emulator } = harness.services;
      const undated = readFixture('plain-7bit.eml')
        .toString('latin1')
        .replace(/^Date:.*\r\n/m, '');
      emulator.addMessage('msg-repair', Buffer.from(undated, 'latin1'));
      emulator.failNext('put', { kind: 'error', error: 'MessageRejected' });
      // Act
      const result = await harness.run(eventFor('msg-repair', '0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d'));
      // Assess: the repaired rewrite was stored under its own key and put
      expect(result).toMatchObject({ outcome: 'rewritten', repairs: [{ kind: 'added-date' }] });
      expect(emulator.updates.map((update) => update.s3Reference.key)).toEqual([
        'rewritten/0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d-repaired',
      ]);
      expect(emulator.message('msg-repair')?.toString('latin1')).toMatch(/^Date: /m);
    });

    it('wraps a rewrite WorkMail refused under a key of its own, not the refused object', async () => {
      // Prepare: the policy wraps what it cannot change; WorkMail refuses the first Put
      await harness.services.close();
      harness = await startHarness(
        {},
        testPolicy({
          fallback: 'wrap',
          rules: [{ name: 'Warn', actions: { subjectTag: '[EXT]', banner: { text: 'EXTERNAL' } } }],
        }),
        { s3Endpoint: moto.endpoint },
      );
      const { emulator } = harness.services;
      emulator.addMessage('msg-wrap', readFixture('plain-7bit.eml'));
      emulator.failNext('put', { kind: 'error', error: 'MessageRejected' });
      // Act
      const result = await harness.run(eventFor('msg-wrap', '0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c'));
      // Assess: the wrapped message was stored and put, not the refused rewrite
      expect(result.outcome).toBe('wrapped-by-fallback');
      expect(emulator.updates.map((update) => update.s3Reference.key)).toEqual([
        'rewritten/0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c-wrapped',
      ]);
      // A refused rewrite may be the original's fault: it is attached as base64 original.eml.
      expect(emulator.message('msg-wrap')?.toString('latin1')).toContain(
        'Content-Type: application/octet-stream; name="original.eml"',
      );
    });

    it(
      'puts a multipart upload without the version id "null"',
      async () => {
        const { emulator } = harness.services;
        emulator.addMessage('msg-large', largeMessage());
        const result = await harness.run(eventFor('msg-large', '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'));
        expect(result.outcome).toBe('rewritten');
        expect(emulator.updates[0]?.s3Reference).toEqual({
          bucket: harness.services.bucket,
          key: 'rewritten/0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
        });
      },
      CHILD_PROCESS_TIMEOUT,
    );
  });
});
