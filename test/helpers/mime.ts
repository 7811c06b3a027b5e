import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startPlannedRewrite } from '../../lambda/rewrite/rewrite-message';
import type { PlannedRewrite, RewriteReport } from '../../lambda/rewrite/rewrite-rules';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export function readFixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** A readable that hands `data` over in pieces of `size` bytes, as a slow network would. */
export function chunked(data: Buffer, size = 64 * 1024): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  return Readable.from(pieces, { objectMode: false });
}

export async function rewriteBuffer(
  input: Buffer,
  rules: PlannedRewrite,
  chunkSize?: number,
): Promise<{ output: Buffer; report: RewriteReport }> {
  const run = startPlannedRewrite(chunked(input, chunkSize), rules);
  const parts: Buffer[] = [];
  run.output.on('data', (chunk: Buffer) => parts.push(chunk));
  const report = await run.done;
  return { output: Buffer.concat(parts), report };
}

export { type LeafPart, leafParts } from '../../local/message-diff';

/** Line feeds that are not preceded by a carriage return. */
export function bareLineFeeds(message: Buffer): number {
  let count = 0;
  for (let i = 0; i < message.length; i++) {
    if (message[i] === 0x0a && (i === 0 || message[i - 1] !== 0x0d)) count++;
  }
  return count;
}

/** The unfolded value of the first header `name` in the top-level header block. */
export function topHeader(message: Buffer, name: string): string | undefined {
  const head = message.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n(?=[ \t])/g, '');
  const line = unfolded
    .split(/\r?\n/)
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
