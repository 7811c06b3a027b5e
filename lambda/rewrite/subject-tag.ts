import libmime = require('libmime');

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

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * The tag as header bytes: plain when it is printable ASCII, otherwise one UTF-8 encoded word.
 * When an encoded word follows, the separating space goes inside the tag's encoded word, because
 * white space between two encoded words is not displayed (RFC 2047 section 6.2).
 */
function tagForHeader(tag: string, nextIsEncodedWord: boolean): string {
  if (isAscii(tag)) return tag;
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
