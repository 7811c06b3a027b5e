import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Splitter } from '@zone-eu/mailsplit';
import { startRewrite } from '../../lambda/rewrite/rewrite-message';
import type { RewriteReport, RewriteRules } from '../../lambda/rewrite/rewrite-rules';

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
  rules: RewriteRules,
  chunkSize?: number,
): Promise<{ output: Buffer; report: RewriteReport }> {
  const run = startRewrite(chunked(input, chunkSize), rules);
  const parts: Buffer[] = [];
  run.output.on('data', (chunk: Buffer) => parts.push(chunk));
  const report = await run.done;
  return { output: Buffer.concat(parts), report };
}

export interface LeafPart {
  part: string;
  contentType: string;
  headers: string;
  /** Body bytes exactly as they stand in the message. */
  raw: Buffer;
  /** Body with the transfer encoding removed. */
  decoded: Buffer;
}

/** Splits a message with mailsplit and returns its leaf parts, raw and decoded. */
export async function leafParts(message: Buffer): Promise<LeafPart[]> {
  const splitter = new Splitter({ ignoreEmbedded: true });
  const leaves: LeafPart[] = [];
  const raws = new Map<object, Buffer[]>();
  splitter.on('data', (chunk) => {
    if (chunk.type === 'node' && !chunk.multipart) raws.set(chunk, []);
    else if (chunk.type === 'body') raws.get(chunk.node)?.push(chunk.value);
  });
  splitter.end(message);
  await finished(splitter);
  for (const [node, chunks] of raws) {
    const mime = node as import('@zone-eu/mailsplit').MimeNode;
    const raw = Buffer.concat(chunks);
    const decoder = mime.getDecoder();
    const decoded: Buffer[] = [];
    decoder.on('data', (b: Buffer) => decoded.push(b));
    await new Promise<void>((resolve) => {
      decoder.on('end', resolve);
      decoder.end(raw);
    });
    leaves.push({
      part: (mime.partNr || []).join('.'),
      contentType: mime.contentType || '',
      headers: mime.getHeaders().toString('latin1'),
      raw,
      decoded: Buffer.concat(decoded),
    });
  }
  return leaves;
}

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
