import { PassThrough, type Readable } from 'node:stream';

/**
 * Splits a stream into branches that each get every byte; the slowest sets the pace, so memory
 * stays bounded. A branch destroyed early (a rewrite that stops) drops out and the others read
 * on; a failing source fails every branch. (Not `pipe`: a destination destroyed while the
 * source waits for its 'drain' would keep the source paused for good.)
 */
export function tee(source: Readable, count: number): PassThrough[] {
  const branches = Array.from({ length: count }, () => new PassThrough());
  const open = new Set(branches);
  const waitingFor = new Set<PassThrough>();
  const release = (branch: PassThrough) => {
    if (waitingFor.delete(branch) && waitingFor.size === 0 && open.size > 0) source.resume();
  };
  for (const branch of branches) {
    // Each branch's reader reports its errors; one not read yet must not crash the process.
    branch.on('error', () => undefined);
    branch.on('drain', () => release(branch));
    branch.once('close', () => {
      open.delete(branch);
      release(branch);
      if (open.size === 0) source.pause();
    });
  }
  source.on('data', (chunk: Buffer) => {
    for (const branch of open) if (!branch.write(chunk)) waitingFor.add(branch);
    if (waitingFor.size > 0) source.pause();
  });
  source.once('end', () => {
    for (const branch of open) branch.end();
  });
  source.once('error', (error) => {
    for (const branch of branches) branch.destroy(error);
  });
  return branches;
}

/**
 * A copy of a stream that never slows it down: it gets what the stream's readers read, and when
 * its own reader falls more than `maxBehind` bytes behind, it is given up (destroyed with an
 * error) instead of holding the stream back. Call it once the stream is piped, so that no chunk
 * flows before its readers are attached (`tee` first).
 */
export function sideCopy(source: Readable, maxBehind: number): PassThrough {
  const copy = new PassThrough();
  copy.on('error', () => undefined);
  const onData = (chunk: Buffer) => {
    if (copy.destroyed) return;
    if (copy.writableLength + copy.readableLength > maxBehind) {
      copy.destroy(new Error(`the copy fell more than ${maxBehind} bytes behind`));
      return;
    }
    copy.write(chunk);
  };
  source.on('data', onData);
  source.once('end', () => copy.end());
  source.once('error', (error) => copy.destroy(error));
  copy.once('close', () => source.off('data', onData));
  return copy;
}
