import libmime = require('libmime');

import { escapeRegExp, PLACEHOLDER } from './clean-reply';

/** RFC 5322 asks for header lines of at most 78 characters; longer first lines get folded. */
const PREFERRED_LINE_LENGTH = 78;

/**
 * Display text of a raw header value: unfolded, then RFC 2047 encoded words decoded. The value is
 * a binary string (one character per byte), as HeaderBlock keeps header lines.
 */
export function displayText(rawValue: string): string {
  const unfolded = Buffer.from(rawValue, 'latin1')
    .toString('utf8')
    .replace(/\r?\n(?=[ \t])/g, '');
  try {
    return libmime.decodeWords(unfolded);
  } catch {
    // An unknown charset in an encoded word: the raw text still shows whether the tag is there.
    return unfolded;
  }
}

/** One reply or forward prefix as clients write them, in several languages (`Re:`, `AW:`, `RE[2]:`). */
export const REPLY_PREFIX = /^(?:re|fwd?|aw|wg|sv|vs|antw|tr|rif|enc|odp)(?:\[\d+\])?\s*:\s*/i;

/** Reply and forward prefixes before the tag: `RE: AW: WG: ` and the like, not 25 of them. */
const MAX_PREFIX_LENGTH = 20;

/**
 * True when the display text starts with the tag, before or after reply and forward prefixes
 * (`RE: [EXTERNAL] …`). A tag further on does not count: a sender could put it where the subject
 * is cut off on screen (after a long run of `RE: ` too), and the warning would never show.
 */
export function carriesTag(rawValue: string, tag: string): boolean {
  const wanted = tag.toLowerCase();
  const shown = displayText(rawValue).trimStart();
  let text = shown;
  while (shown.length - text.length <= MAX_PREFIX_LENGTH) {
    if (text.toLowerCase().startsWith(wanted)) return true;
    const prefix = REPLY_PREFIX.exec(text);
    if (!prefix) return false;
    text = text.slice(prefix[0].length);
  }
  return false;
}

/** Printable ASCII only: what a header may carry as it is. */
function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * The tag as header bytes: plain when it is printable ASCII, otherwise one UTF-8 encoded word.
 * When an encoded word follows, the separating space goes inside the tag's encoded word, because
 * white space between two encoded words is not displayed (RFC 2047 section 6.2).
 */
function tagForHeader(tag: string, nextIsEncodedWord: boolean): string {
  if (isPrintableAscii(tag)) return tag;
  return libmime.encodeWord(nextIsEncodedWord ? `${tag} ` : tag, 'Q', 0);
}

/**
 * Returns the header line `Subject: <tag> <original value>`, keeping every byte of the original
 * value (encoded words, folding, raw 8-bit text), or `undefined` when the subject already carries
 * the tag. The line is a binary string with CRLF folds, as `HeaderField.line`.
 */
export function tagSubjectLine(line: string, tag: string): string | undefined {
  const colon = line.indexOf(':');
  const name = line.slice(0, colon + 1);
  const value = line.slice(colon + 1);
  if (carriesTag(value, tag)) return undefined;
  const startsWithSpace = /^[ \t]/.test(value);
  const encodedTag = tagForHeader(tag, value.trimStart().startsWith('=?'));
  const firstLineLength =
    name.length + 1 + encodedTag.length + (value.split('\r\n')[0] ?? '').length;
  if (value.trim() === '') return `${name} ${encodedTag}`;
  if (firstLineLength > PREFERRED_LINE_LENGTH) {
    // Fold after the tag; unfolding restores "tag value" with a single space.
    return `${name} ${encodedTag}\r\n${startsWithSpace ? '' : ' '}${value}`;
  }
  return `${name} ${encodedTag}${startsWithSpace ? '' : ' '}${value}`;
}

/** A complete `Subject:` line for a message that has none. */
export function newSubjectLine(tag: string): string {
  return `Subject: ${tagForHeader(tag, false)}`;
}

// The encoded words of a header value, found the way libmime.decodeWords finds them.
const ENCODED_WORD = /=\?([\w_\-*]+)\?([QqBb])\?([^?]*)\?=/g;
const SPACE = /[ \t\r\n]*/y;
/** RFC 2047 section 2: an encoded word is at most 75 characters. */
const ENCODED_WORD_LENGTH = 75;

/** Text as header bytes: one character per byte of its UTF-8. */
const asBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** A stretch of a header value: raw text, an encoded word, or white space between two words. */
interface Piece {
  raw: string;
  /** What it shows, as UTF-8 bytes; empty for the white space between two encoded words. */
  shown: string;
  /** The encoding of an encoded word. */
  encoding?: string;
}

function decodedWord(charset: string, encoding: string, text: string): string | undefined {
  try {
    return asBytes(libmime.decodeWord(charset, encoding, text));
  } catch {
    return undefined;
  }
}

function piecesOf(value: string): Piece[] {
  const pieces: Piece[] = [];
  let done = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const [word, charset = '', encoding = 'Q', text = ''] = match;
    const between = value.slice(done, match.index);
    // White space between two encoded words is not shown (RFC 2047 section 6.2).
    const separator = pieces.at(-1)?.encoding !== undefined && between.trim() === '';
    pieces.push({ raw: between, shown: separator ? '' : between });
    const shown = decodedWord(charset, encoding, text);
    pieces.push(shown === undefined ? { raw: word, shown: word } : { raw: word, shown, encoding });
    done = match.index + word.length;
  }
  pieces.push({ raw: value.slice(done), shown: value.slice(done) });
  return pieces;
}

function stickyEnd(pattern: RegExp, text: string, at: number): number | undefined {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : undefined;
}

/**
 * Marks the tags among the prefixes a subject starts with (`RE: [EXTERNAL] FW: [EXTERNAL] ...`),
 * each with the white space after it, or before it when nothing follows.
 */
function leadingTags(shown: string, tags: readonly RegExp[]): boolean[] {
  const removed = new Array<boolean>(shown.length).fill(false);
  let at = stickyEnd(SPACE, shown, 0) ?? 0;
  for (;;) {
    const prefix = REPLY_PREFIX.exec(shown.slice(at));
    if (prefix) {
      at += prefix[0].length;
      continue;
    }
    const tagEnd = tags.map((tag) => stickyEnd(tag, shown, at)).find((end) => end !== undefined);
    if (tagEnd === undefined) return removed;
    const end = stickyEnd(SPACE, shown, tagEnd) ?? tagEnd;
    // A tag that ends the subject goes with the white space before it instead.
    removed.fill(true, end === shown.length ? shown.slice(0, at).trimEnd().length : at, end);
    at = end;
  }
}

function tagPattern(tag: string): RegExp {
  const source = asBytes(tag).split(PLACEHOLDER).map(escapeRegExp).join('[^\\r\\n]+?');
  return new RegExp(`${source}(?=[ \\t\\r\\n]|$)`, 'y');
}

/**
 * Takes the subject tag out of a raw `Subject:` line, where it stands as a whole token at the
 * start or after reply and forward prefixes (`RE: [EXTERNAL] Hello` becomes `RE: Hello`). A
 * tag further into the subject stays: a user wrote it. Every byte outside the tag stays as it
 * was; an encoded word that held part of the tag is written again (UTF-8, its own B or Q).
 *
 * @param line the header line as HeaderBlock holds it: a binary string with CRLF folds
 * @param tags the tags as the policy writes them (`{{placeholders}}` match one-line values)
 * @returns the new line, or undefined when there is no tag to take out
 */
export function untagSubjectLine(line: string, tags: readonly string[]): string | undefined {
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  const pieces = piecesOf(line.slice(colon + 1));
  const patterns = tags.filter((tag) => tag.trim() !== '').map(tagPattern);
  const removed = leadingTags(pieces.map((piece) => piece.shown).join(''), patterns);
  if (!removed.includes(true)) return undefined;
  let offset = 0;
  const kept = pieces.map((piece) => {
    const from = offset;
    offset += piece.shown.length;
    const text = [...piece.shown].filter((_, i) => !removed[from + i]).join('');
    if (text === piece.shown) return piece.raw;
    if (piece.encoding === undefined) return text;
    if (text === '') return undefined;
    return libmime
      .encodeWord(Buffer.from(text, 'latin1'), piece.encoding, ENCODED_WORD_LENGTH)
      .replace(/\?= =\?/g, '?=\r\n =?');
  });
  // White space between two encoded words goes with either word: alone it would show.
  const value = pieces
    .map((piece, i) => {
      const separator = piece.shown === '' && piece.raw !== '' && pieces[i - 1]?.encoding;
      return separator && (kept[i - 1] === undefined || kept[i + 1] === undefined) ? '' : kept[i];
    })
    .join('');
  return `${line.slice(0, colon + 1)}${value}`;
}
