import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ENV } from '../../lambda/env-names';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { sharedBoundaryMessage } from '../helpers/build-mime';
import { readFixture } from '../helpers/mime';
import { type Harness, type HarnessOptions, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');
const ORIGINALS = 'workmail-originals-test';

function event(messageId: string): WorkMailRunLambdaEvent {
  return { ...structuredClone(inbound), messageId };
}

describe('keeping the original', () => {
  let harness: Harness;

  async function start(options: HarnessOptions = {}) {
    harness = await startHarness({ [ENV.originalBucket]: ORIGINALS }, undefined, options);
  }

  async function kept(): Promise<string[]> {
    const listed = await harness.services.clients.s3.send(
      new ListObjectsV2Command({ Bucket: ORIGINALS }),
    );
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  afterEach(async () => {
    await harness.services.close();
  });

  it('stores the untouched original beside the rewritten message', async () => {
    await start();
    const original = readFixture('alternative-with-pdf.eml');
    harness.services.emulator.addMessage('m-1', original);

    const result = await harness.run(event('m-1'));

    expect(result).toMatchObject({
      outcome: 'rewritten',
      originalKey: `rewritten/${inbound.invocationId}`,
    });
    const keptCopy = await harness.readObject(result.originalKey ?? '', ORIGINALS);
    expect(keptCopy.equals(original)).toBe(true);
    const rewritten = await harness.readObject(result.objectKey ?? '');
    expect(rewritten.equals(original)).toBe(false);
  });

  it('keeps the original of a message the engine declines: the case worth debugging', async () => {
    await start();
    const broken = sharedBoundaryMessage();
    harness.services.emulator.addMessage('m-2', broken);

    const result = await harness.run(event('m-2'));

    expect(result).toMatchObject({ outcome: 'delivered-unchanged-after-failure' });
    expect((await harness.readObject(result.originalKey ?? '', ORIGINALS)).equals(broken)).toBe(
      true,
    );
  });

  it('keeps nothing when the message goes out as it came', async () => {
    await start();
    const original = readFixture('plain-7bit.eml');
    harness.services.emulator.addMessage('m-3', original);
    const first = await harness.run(event('m-3'));

    // A retry after the Put finds its own output: nothing to rewrite, nothing more to keep.
    const retry = await harness.run(event('m-3'));

    expect(first.originalKey).toBeDefined();
    expect(retry).toMatchObject({ outcome: 'already-rewritten' });
    expect(retry.originalKey).toBeUndefined();
    expect(await kept()).toEqual([first.originalKey]);
    // The retry fetched our own output: its copy was dropped, and the original is still there.
    const keptCopy = await harness.readObject(first.originalKey ?? '', ORIGINALS);
    expect(keptCopy.equals(original)).toBe(true);
  });

  it('delivers the rewritten message all the same when the original cannot be kept', async () => {
    await start({ createOriginalBucket: false });
    harness.services.emulator.addMessage('m-4', readFixture('plain-7bit.eml'));

    const result = await harness.run(event('m-4'));

    expect(result.outcome).toBe('rewritten');
    expect(result.originalKey).toBeUndefined();
    expect(harness.services.emulator.updates).toHaveLength(1);
    const warning = harness.log.entries.find((e) => e.message === 'the original could not be kept');
    expect(warning?.attributes).toMatchObject({
      reason: 'original-not-kept',
      errorName: 'NoSuchBucket',
    });
  });

  it('keeps no original unless the deployment asks for it', async () => {
    harness = await startHarness();
    harness.services.emulator.addMessage('m-5', readFixture('plain-7bit.eml'));
    const result = await harness.run(event('m-5'));
    expect(result.outcome).toBe('rewritten');
    expect(result.originalKey).toBeUndefined();
  });
});
