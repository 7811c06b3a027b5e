import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { partName } from '../../lambda/rewrite/mime-part';
import { type MimeEvent, MimeSplitter } from '../../lambda/rewrite/mime-splitter';
import { CORPUS_SOURCES, corpusMessages } from '../helpers/corpus-messages';
import { seededRandom } from '../helpers/seeded-random';
import { CORPUS_SOURCE_TIMEOUT } from '../helpers/timeouts';

/**
 * Differential test: over the corpus and mutated copies of it, cut in odd chunk sizes, our
 * splitter reads the same tree as mailsplit (types, boundaries, part headers, body bytes) wherever
 * mailsplit reads the message correctly. mailsplit misreads two shapes, counted and left out:
 * its own split and join do not give the input back, or a part's body follows its headers with
 * no blank line (mailsplit reads the body as more headers).
 */

const SEED = 20261202;
const CHUNKS = [1, 7, 13, 777, 4099, 65536];

interface TreePart {
  part: string;
  type?: string;
  boundary?: string;
  header: string;
  body?: string;
}

function ourTree(raw: Buffer, chunk: number): { tree: TreePart[]; noBlankLine: boolean } {
  const splitter = new MimeSplitter();
  const events: MimeEvent[] = [];
  for (let at = 0; at < raw.length; at += chunk)
    events.push(...splitter.write(raw.subarray(at, at + chunk)));
  events.push(...splitter.end());
  const tree: TreePart[] = [];
  let noBlankLine = false;
  for (const event of events) {
    if (event.type === 'head') {
      const { part } = event;
      noBlankLine ||= part.headEnd === 'body-line';
      const declared = part.header.first('content-type')?.includes('/');
      tree.push({
        part: partName(part),
        ...(declared ? { type: part.contentType } : {}),
        ...(part.boundary ? { boundary: part.boundary.toString('latin1') } : {}),
        header: part.header.toBuffer().toString('latin1'),
        ...(part.boundary ? {} : { body: '' }),
      });
    } else if (event.type === 'body' && !event.part.boundary) {
      const leaf = tree[tree.length - 1] as TreePart;
      leaf.body += event.raw.toString('latin1');
    }
  }
  return { tree, noBlankLine };
}

async function mailsplitTree(raw: Buffer): Promise<{ tree: TreePart[]; identity: boolean }> {
  const tree: TreePart[] = [];
  const chunks: SplitterChunk[] = [];
  const collect = new Writable({
    objectMode: true,
    write(chunk: SplitterChunk, _encoding, done) {
      if (chunk.type === 'node') {
        const node = chunk as MimeNode;
        const headers = node.headers || undefined;
        const declared = headers?.getFirst('content-type').includes('/');
        const boundary = node.multipart && node._boundary ? node._boundary : undefined;
        tree.push({
          part: (node.partNr || []).join('.'),
          ...(declared ? { type: node.contentType || '' } : {}),
          ...(boundary ? { boundary: boundary.toString('latin1') } : {}),
          header: node.getHeaders().toString('latin1'),
          ...(boundary ? {} : { body: '' }),
        });
      } else if (chunk.type === 'body' || (chunk.node.multipart && !chunk.node._boundary)) {
        // A multipart without a boundary is a leaf to us; mailsplit gives its content as 'data'.
        const leaf = tree[tree.length - 1] as TreePart;
        leaf.body += chunk.value.toString('latin1');
      }
      chunks.push(chunk);
      done();
    },
  });
  await pipeline(Readable.from([raw]), new Splitter({ ignoreEmbedded: true }), collect);
  const joined: Buffer[] = [];
  const sink = new Writable({
    write(data: Buffer, _encoding, done) {
      joined.push(data);
      done();
    },
  });
  await pipeline(Readable.from(chunks), new Joiner(), sink);
  return { tree, identity: Buffer.concat(joined).equals(raw) };
}

/** The first part whose reading differs, as `part field: ours | theirs` (short). */
function firstDifference(ours: TreePart[], theirs: TreePart[]): string | undefined {
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const [a, b] = [ours[i], theirs[i]];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (!a || !b) return `part ${(a ?? b)?.part}: only in ${a ? 'ours' : 'mailsplit'}`;
    const field = (Object.keys({ ...a, ...b }) as (keyof TreePart)[]).find((k) => a[k] !== b[k]);
    const show = (part: TreePart) => String(JSON.stringify(field ? part[field] : '')).slice(0, 120);
    return `part ${a.part} ${field}: ${show(a)} | ${show(b)}`;
  }
  return undefined;
}

/** Copies that stress the structure: LF only, padded or look-alike delimiters, a lost close, a cut. */
function mutations(raw: Buffer, next: () => number): Buffer[] {
  const copies: Buffer[] = [];
  const text = raw.toString('latin1');
  const boundaries = [...text.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1] as string);
  const pick = <T>(items: T[]): T | undefined => items[Math.floor(next() * items.length)];
  copies.push(Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1'));
  const boundary = pick(boundaries);
  if (boundary) {
    const delimiter = `\r\n--${boundary}\r\n`;
    const edits = [
      () => text.replace(delimiter, `\r\n--${boundary} \t\r\n`),
      () => text.replace(delimiter, `\r\n--${boundary}x\r\n--${boundary}\r\n`),
      () => text.replace(`\r\n--${boundary}--`, `\r\n--${boundary}-x`),
      () =>
        text.replace(delimiter, `\r\n--${boundary}\r\nX-Run: into the next\r\n--${boundary}\r\n`),
    ];
    copies.push(Buffer.from((pick(edits) as () => string)(), 'latin1'));
  }
  copies.push(raw.subarray(0, Math.floor(next() * raw.length)));
  return copies;
}

describe('our splitter against mailsplit', () => {
  it.each(CORPUS_SOURCES)(
    'reads the same tree as mailsplit over %s, mutated copies and odd chunk sizes',
    async (source) => {
      const next = seededRandom(SEED);
      const failures: string[] = [];
      const counts = { compared: 0, mailsplitLosesBytes: 0, noBlankLine: 0 };
      for (const { name, raw } of corpusMessages(source)) {
        for (const input of [raw, ...mutations(raw, next)] as Buffer[]) {
          const theirs = await mailsplitTree(input);
          // Every message whole, and at two chunk sizes drawn per message.
          const sizes = [input.length || 1, ...[0, 1].map(() => CHUNKS[Math.floor(next() * 6)])];
          const ours = sizes.map((size) => ourTree(input, size as number));
          if (!theirs.identity) counts.mailsplitLosesBytes++;
          else if (ours[0]?.noBlankLine) counts.noBlankLine++;
          else {
            counts.compared++;
            for (const [i, tree] of ours.entries()) {
              const differs = firstDifference(tree.tree, theirs.tree);
              if (differs)
                failures.push(`${name} (${input.length} bytes, chunk ${sizes[i]}): ${differs}`);
            }
          }
        }
      }
      process.stdout.write(`${source}: ${JSON.stringify(counts)}\n`);
      expect(failures.slice(0, 20)).toEqual([]);
      expect(counts.compared).toBeGreaterThan(0);
    },
    CORPUS_SOURCE_TIMEOUT,
  );
});
