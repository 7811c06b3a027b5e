import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { sideCopy, tee } from '../../lambda/tee';

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const data = (kb: number) => Array.from({ length: kb }, (_, i) => Buffer.alloc(1024, i % 251));

describe('tee', () => {
  it('gives every branch every byte, and reads on when one branch is destroyed', async () => {
    const [a, b] = tee(Readable.from(data(256)), 2);
    b?.destroy();
    expect((await read(a as Readable)).length).toBe(256 * 1024);
  });

  it('fails every branch, without an uncaught error, when the source failed before it', async () => {
    const source = new PassThrough();
    source.destroy(new Error('out of time'));
    const [a, b] = tee(source, 2);
    const copy = sideCopy(source, 1024);
    // Only one branch is ever read, as when the budget ran out before the uploads started.
    await expect(read(a as Readable)).rejects.toThrow('out of time');
    await new Promise((resolve) => setImmediate(resolve));
    expect([b?.destroyed, copy.destroyed]).toEqual([true, true]);
  });
});

describe('sideCopy', () => {
  it('copies what the readers read', async () => {
    const source = Readable.from(data(64));
    const [branch] = tee(source, 1);
    const copy = sideCopy(source, 1024 * 1024);
    const [copied, read1] = await Promise.all([read(copy), read(branch as Readable)]);
    expect(copied.equals(read1)).toBe(true);
    expect(copied.length).toBe(64 * 1024);
  });

  it('never holds the stream back: a copy nobody reads is given up after its limit', async () => {
    const source = Readable.from(data(1024));
    const [branch] = tee(source, 1);
    const copy = sideCopy(source, 64 * 1024);

    expect((await read(branch as Readable)).length).toBe(1024 * 1024);
    await expect(finished(copy)).rejects.toThrow('the copy fell more than 65536 bytes behind');
  });
});
