import libmime from 'libmime';
import {
  decodeTransfer,
  HeaderBlock,
  type MimePart,
  MimeSplitter,
  partName,
} from '../lambda/rewrite';

export interface LeafPart {
  part: string;
  contentType: string;
  headers: string;
  /** Body bytes exactly as they stand in the message. */
  raw: Buffer;
  /** Body with the transfer encoding removed. */
  decoded: Buffer;
}

/**
 * Splits a message with the engine's splitter and returns its leaf parts, raw and decoded. An
 * attached message is one leaf, unless `embedded` asks for its own parts (named under it: `2.1`).
 */
export async function leafParts(message: Buffer, { embedded = false } = {}): Promise<LeafPart[]> {
  const splitter = new MimeSplitter();
  const raws = new Map<MimePart, Buffer[]>();
  for (const event of [...splitter.write(message), ...splitter.end()]) {
    if (event.type === 'head' && !event.part.boundary) raws.set(event.part, []);
    else if (event.type === 'body') raws.get(event.part)?.push(event.raw);
  }
  const leaves: LeafPart[] = [];
  for (const [part, chunks] of raws) {
    const raw = Buffer.concat(chunks);
    const decoded = decodeTransfer(raw, part.encoding);
    if (embedded && part.contentType === 'message/rfc822') {
      const inner = await leafParts(decoded, { embedded });
      const prefix = part.path.length ? `${partName(part)}.` : '';
      leaves.push(...inner.map((leaf) => ({ ...leaf, part: `${prefix}${leaf.part}` })));
      continue;
    }
    leaves.push({
      part: partName(part),
      contentType: part.contentType,
      headers: part.header.toBuffer().toString('latin1'),
      raw,
      decoded,
    });
  }
  return leaves;
}

export interface HeaderChange {
  change: 'added' | 'removed' | 'changed';
  name: string;
  before?: string;
  after?: string;
}

export interface PartChange {
  part: string;
  contentType: string;
  bytesBefore: number;
  bytesAfter: number;
}

export interface MessageChanges {
  headers: HeaderChange[];
  changedParts: PartChange[];
  unchangedParts: number;
  bytesBefore: number;
  bytesAfter: number;
}

function topHeaders(message: Buffer): Map<string, string[]> {
  const end = message.indexOf('\r\n\r\n');
  const block = message.subarray(0, end < 0 ? message.length : end + 2);
  const byName = new Map<string, string[]>();
  for (const { line } of HeaderBlock.parse(block, 0).fields) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    // For people: 8-bit text read as UTF-8, encoded words decoded (a Subject as clients show it).
    const value = libmime.decodeWords(
      Buffer.from(line.slice(colon + 1), 'latin1')
        .toString('utf8')
        .replace(/\r\n/g, '')
        .trim(),
    );
    byName.set(name, [...(byName.get(name) ?? []), value]);
  }
  return byName;
}

function headerChanges(before: Buffer, after: Buffer): HeaderChange[] {
  const [old, fresh] = [topHeaders(before), topHeaders(after)];
  const changes: HeaderChange[] = [];
  for (const name of new Set([...old.keys(), ...fresh.keys()])) {
    const [was = [], now = []] = [old.get(name), fresh.get(name)];
    if (was.join('\n') === now.join('\n')) continue;
    if (!was.length) changes.push({ change: 'added', name, after: now.join(', ') });
    else if (!now.length) changes.push({ change: 'removed', name, before: was.join(', ') });
    else changes.push({ change: 'changed', name, before: was.join(', '), after: now.join(', ') });
  }
  return changes;
}

/** Compares two versions of a message: top-level headers, and leaf parts by part number. */
export async function describeChanges(before: Buffer, after: Buffer): Promise<MessageChanges> {
  const oldParts = new Map((await leafParts(before)).map((p) => [p.part, p]));
  const changedParts: PartChange[] = [];
  let unchangedParts = 0;
  for (const part of await leafParts(after)) {
    const old = oldParts.get(part.part);
    if (old?.raw.equals(part.raw) && old.headers === part.headers) {
      unchangedParts++;
      continue;
    }
    changedParts.push({
      part: part.part,
      contentType: part.contentType,
      bytesBefore: old?.raw.length ?? 0,
      bytesAfter: part.raw.length,
    });
  }
  return {
    headers: headerChanges(before, after),
    changedParts,
    unchangedParts,
    bytesBefore: before.length,
    bytesAfter: after.length,
  };
}
