import { AT_MOST_ONCE, type MimePart, MimeSplitter } from '../lambda/rewrite';

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

function headerProblem(root: MimePart): string | undefined {
  const headers = root.header;
  for (const name of ASSUMED_REQUIRED) {
    if (headers.values(name).length === 0) return `Missing required header: ${name} (assumed rule)`;
  }
  for (const name of ASSUMED_UNIQUE) {
    if (headers.values(name).length > 1)
      return `Header ${name} may appear only once (assumed rule)`;
  }
  return undefined;
}

/** The first structure or content problem of the parts, in the order the splitter reads them. */
function partProblem(content: Buffer): { root?: MimePart; problem?: string } {
  const splitter = new MimeSplitter();
  let root: MimePart | undefined;
  const multiparts: MimePart[] = [];
  for (const event of [...splitter.write(content), ...splitter.end()]) {
    if (event.type === 'head') {
      const { part } = event;
      root ??= part;
      if (part.contentType.startsWith('multipart/') && !part.boundary) {
        return { root, problem: `A ${part.contentType} part has no boundary (assumed rule)` };
      }
      if (part.boundary) multiparts.push(part);
    } else if (event.type === 'body' && !event.part.boundary && event.raw.some((o) => o >= 0x80)) {
      const encoding = event.part.encoding || '7bit';
      if (!EIGHT_BIT_ENCODINGS.has(encoding)) {
        return { root, problem: `8-bit content in a part declared ${encoding} (assumed rule)` };
      }
    }
  }
  const unclosed = multiparts.find((part) => !part.closed);
  if (unclosed)
    return { root, problem: `A ${unclosed.contentType} part is not closed (assumed rule)` };
  return { root };
}

/**
 * Why PutRawMessageContent would refuse `content` (MessageRejected), or undefined. The line rule
 * is documented; the header, multipart and 8-bit rules are the service's documented criteria with
 * ASSUMED details, since it publishes no lists and no error texts. The engine's splitter reads
 * the structure (attached messages stay closed: their Content-Transfer-Encoding covers them).
 */
export async function putContentProblem(
  content: Buffer,
  rules: ContentRules = 'assumed',
): Promise<string | undefined> {
  const lines = lineProblem(content);
  if (lines || rules === 'documented') return lines;
  const { root, problem } = partProblem(content);
  if (problem) return problem;
  return root ? headerProblem(root) : undefined;
}
