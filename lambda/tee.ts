import { PassThrough, type Readable } from 'node:stream';

/**
 * Splits a stream into branches that each get every byte; the slowest sets the pace, so memory
 * stays bounded. A branch destroyed early (a rewrite that stops) is unpiped and the others read
 * on; a failing source fails every branch.
 */
export function tee(source: Readable, count: number): PassThrough[] {
  const branches = Array.from({ length: count }, () => new PassThrough());
  source.once('error', (error) => {
    for (const branch of branches) branch.destroy(error);
  });
  for (const branch of branches) source.pipe(branch);
  return branches;
}
