import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { AT_MOST_ONCE } from '../lambda/rewrite';

/** WorkMail's documented limit: a line with its CRLF (RFC 5321 4.5.3.1.6). */
export const MAX_LINE_WITH_CRLF = 1000;

/**
 * Headers the service requires. NOT PUBLISHED (workmail-protocol.md 3.4, 8): ASSUMED to be the
 * ones RFC 5322 3.6 requires of every message.
 */
const ASSUMED_REQUIRED = ['date', 'from'];
/**
 * Headers the service accepts once only. NOT PUBLISHED: ASSUMED to be those RFC 5322 3.6 allows
 * at most once.
 */
const ASSUMED_UNIQUE = AT_MOST_ONCE;
/** Which of the service's content rules to apply: the documented ones, or also the assumed ones. */
export type ContentRules = 'documented' | 'assumed';

const EIGHT_BIT_ENCODINGS = new Set(['8bit', 'binary']);

/** Lines of at most 1,000 octets with CRLF; bare CR or LF line ends are refused (UNCONFIRMED). */
function lineProblem(content: Buffer): string | undefined {
  let start = 0;
  for (let line = 1; start < content.length; line++) {
    const lf = content.indexOf(0x0a, start);
    const end = lf < 0 ? content.length : lf + 1;
    if (end - start > MAX_LINE_WITH_CRLF)
      return `Line ${line} exceeds ${MAX_LINE_WITH_CRLF} characters`;
    const text = content.subarray(start, lf < 0 ? end : lf);
    if (lf >= 0 && text[text.length - 1] !== 0x0d) return `Line ${line} ends with a bare LF`;
    if (text.subarray(0, -1).includes(0x0d)) return `Line ${line} contains a bare CR`;
    start = end;
  }
  return undefined;
}

function headerProblem(root: MimeNode): string | undefined {
  if (!root.headers) return undefined;
  const headers = root.headers;
  for (const name of ASSUMED_REQUIRED) {
    if (headers.get(name).length === 0) return `Missing required header: ${name} (assumed rule)`;
  }
  for (const name of ASSUMED_UNIQUE) {
    if (headers.get(name).length > 1) return `Header ${name} may appear only once (assumed rule)`;
  }
  return undefined;
}

/** A multipart's closing delimiter starts a line somewhere in the content. */
function closes(content: Buffer, boundary: Buffer): boolean {
  const delimiter = Buffer.concat([Buffer.from('--'), boundary, Buffer.from('--')]);
  for (let at = content.indexOf(delimiter); at >= 0; at = content.indexOf(delimiter, at + 1)) {
    if (at === 0 || content[at - 1] === 0x0a) return true;
  }
  return false;
}

/**
 * Why PutRawMessageContent would refuse `content` (MessageRejected), or undefined. The line rule
 * is documented; the header, multipart and 8-bit rules are the service's documented criteria with
 * ASSUMED details, since it publishes no lists and no error texts. Mailsplit reads the structure.
 */
export async function putContentProblem(
  content: Buffer,
  rules: ContentRules = 'assumed',
): Promise<string | undefined> {
  const lines = lineProblem(content);
  if (lines || rules === 'documented') return lines;
  let root: MimeNode | undefined;
  const multiparts: MimeNode[] = [];
  let problem: string | undefined;
  const splitter = new Splitter();
  splitter.on('data', (chunk: SplitterChunk) => {
    if (problem) return;
    if (chunk.type === 'node') {
      root ??= chunk;
      if (chunk.multipart && !chunk._boundary)
        problem = `A multipart/${chunk.multipart} part has no boundary (assumed rule)`;
      else if (chunk.multipart) multiparts.push(chunk);
    } else if (chunk.type === 'body' && chunk.value.some((octet) => octet >= 0x80)) {
      const encoding = (chunk.node.encoding || '7bit').toLowerCase();
      if (!EIGHT_BIT_ENCODINGS.has(encoding)) {
        problem = `8-bit content in a part declared ${encoding} (assumed rule)`;
      }
    }
  });
  await pipeline(Readable.from([content]), splitter);
  if (problem) return problem;
  const unclosed = multiparts.find((node) => node._boundary && !closes(content, node._boundary));
  if (unclosed) return `A multipart/${unclosed.multipart} part is not closed (assumed rule)`;
  return root ? headerProblem(root) : undefined;
}
