import {
  canDecode,
  decodeStrictly,
  encodableInPlace,
  fromLatin1,
  isAscii,
  isAsciiLabel,
  readsBackAs,
  toLatin1,
} from './body-charsets';
import type { OwnBanner } from './clean-reply';
import { cleanHtml } from './clean-reply-html';
import { cleanText } from './clean-reply-text';
import { findBannerAt, findFooterAt, MAX_BYTES_BEFORE_BODY, withMetaCharset } from './html-anchors';
import { htmlMarkOpening, neutraliseForeignMarks } from './html-marks';
import { lineEndingOf } from './line-ending';

/** Plain text or HTML, the two kinds of displayed body. */
export type BodyKind = 'text' | 'html';

/** What to add to one body part. Empty or undefined means nothing on that side. */
export interface Additions {
  banner?: string;
  footer?: string;
}

export interface PartFormat {
  kind: BodyKind;
  /** The part's declared charset, or false when it declares none. */
  charset: string | false;
  /** text/plain; format=flowed (RFC 3676): inserted lines must not end in a space. */
  flowed: boolean;
}

/** How this run marks its additions, and whether marks already in the part count. */
export interface Marks {
  /** The run's mark token (`markToken`): HTML additions carry an attribute named after it. */
  token: string;
  /**
   * The message comes from outside: copies of this engine's marks in it are a stranger's. They
   * are neutralised (HTML), and a banner or footer already in place does not count as ours.
   */
  untrusted: boolean;
  /** This template's own inbound banners, to take out of quoted text (clean replies). */
  ownBanners?: readonly OwnBanner[];
}

export type InsertionResult =
  | {
      ok: true;
      body: Buffer;
      /** Set when the part had to be converted: the charset to declare. */
      charset?: string;
      /** Whether non-ASCII text was inserted (a 7bit or 8bit part then becomes quoted-printable). */
      nonAscii: boolean;
      added: ('banner' | 'footer')[];
      /** Foreign copies of this engine's HTML mark that were renamed. */
      neutralised: number;
      /** Own banners taken out of quoted text. */
      removed: number;
      /**
       * Set when the body is the original with bytes put in at these offsets and nothing else
       * changed: the caller may splice them into the encoded body instead of encoding it anew.
       */
      insertions?: Insertion<Buffer>[];
    }
  | { ok: false; reason: string };

/** RFC 3676: no trailing spaces (they would join lines), and space-stuffing. */
function asFlowedLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .map((line) => (/^( |>|From )/.test(line) ? ` ${line}` : line))
    .join('\n');
}

function prepared(text: string, eol: string, flowed: boolean): string {
  const lines = text.replace(/\r\n?/g, '\n');
  return (flowed ? asFlowedLines(lines) : lines).replace(/\n/g, eol);
}

function htmlBlock(html: string, role: 'banner' | 'footer', eol: string, token: string): string {
  return `${htmlMarkOpening(role, token)}${html.replace(/\r\n?|\n/g, eol)}</div>`;
}

/**
 * Whether `text` holds `block` at `at`, whatever the mark token in it: a trusted message may carry
 * the same addition from an earlier run, whose token was another.
 */
function holdsBlock(text: string, at: number, block: string, token: string): boolean {
  const [before = '', after = ''] = block.split(token);
  const tokenAt = at + before.length;
  return (
    at >= 0 &&
    text.startsWith(before, at) &&
    /^[0-9a-f]{12}$/.test(text.slice(tokenAt, tokenAt + token.length)) &&
    text.startsWith(after, tokenAt + token.length)
  );
}

/** Text put into the body at an offset of the body as it was (in order). */
export interface Insertion<T = string> {
  at: number;
  text: T;
}

interface Inserted {
  text: string;
  added: ('banner' | 'footer')[];
  neutralised: number;
  /** Where the additions went; the rest of the body is as it was unless `neutralised`. */
  insertions: Insertion[];
}

/** Why an addition could not be placed; the caller reports the part as skipped. */
interface NotInserted {
  failed: string;
}

const NO_BODY_START: NotInserted = {
  failed: `no HTML body start within the first ${MAX_BYTES_BEFORE_BODY} bytes`,
};

// An armored block protects its own lines only (RFC 4880 section 7): text around it may change.
const ARMORED_BLOCK = /^-----BEGIN PGP (SIGNED )?MESSAGE-----/m;

/**
 * Inserts into a body held as a string. Banner and footer that are already in place (this
 * engine's own earlier output) are not added again, unless the message is untrusted: a copy
 * that a stranger wrote proves nothing.
 */
function insert(
  body: string,
  format: PartFormat,
  additions: Additions,
  marks: Marks,
  defaultEol: string,
): Inserted | NotInserted {
  const eol = lineEndingOf(body, defaultEol);
  const added: ('banner' | 'footer')[] = [];
  const trusted = !marks.untrusted;
  if (format.kind === 'html') {
    const foreign = marks.untrusted ? neutraliseForeignMarks(body) : { html: body, count: 0 };
    const html = foreign.html;
    const banner = additions.banner ? htmlBlock(additions.banner, 'banner', eol, marks.token) : '';
    const footer = additions.footer ? htmlBlock(additions.footer, 'footer', eol, marks.token) : '';
    const bannerAnchor = banner ? findBannerAt(html) : 0;
    if (bannerAnchor === undefined) return NO_BODY_START;
    // An empty body: the footer follows the banner.
    const footerAnchor = Math.max(bannerAnchor, footer ? findFooterAt(html) : html.length);
    const head = html.slice(0, bannerAnchor);
    const middle = html.slice(bannerAnchor, footerAnchor);
    const tail = html.slice(footerAnchor);
    const bannerAt = middle.length - middle.trimStart().length;
    const footerAt = middle.trimEnd().length - footer.length;
    const addBanner = banner && !(trusted && holdsBlock(middle, bannerAt, banner, marks.token));
    const addFooter = footer && !(trusted && holdsBlock(middle, footerAt, footer, marks.token));
    if (addBanner) added.push('banner');
    if (addFooter) added.push('footer');
    const insertions = [
      ...(addBanner ? [{ at: bannerAnchor, text: banner }] : []),
      ...(addFooter ? [{ at: footerAnchor, text: footer }] : []),
    ];
    return {
      insertions,
      text: `${head}${addBanner ? banner : ''}${middle}${addFooter ? footer : ''}${tail}`,
      added,
      neutralised: foreign.count,
    };
  }
  const banner = additions.banner ? prepared(additions.banner, eol, format.flowed) : '';
  const footer = additions.footer ? prepared(additions.footer, eol, format.flowed) : '';
  const trailing = body.endsWith(eol) ? eol : '';
  let core = trailing ? body.slice(0, -eol.length) : body;
  const coreEnd = core.length;
  const insertions: Insertion[] = [];
  if (banner && !(trusted && (core.startsWith(`${banner}${eol}`) || core === banner))) {
    const text = core ? `${banner}${eol}${eol}` : banner;
    core = `${text}${core}`;
    insertions.push({ at: 0, text });
    added.push('banner');
  }
  if (footer && !(trusted && (core.endsWith(`${eol}${footer}`) || core === footer))) {
    const text = core ? `${eol}${eol}${footer}` : footer;
    core = `${core}${text}`;
    insertions.push({ at: coreEnd, text });
    added.push('footer');
  }
  return { text: `${core}${trailing}`, added, neutralised: 0, insertions };
}

/**
 * Takes this template's own banners out of a body (clean replies). They are matched on the text
 * as decoded from the part's charset; in a byte-preserving run the cut text goes back to the same
 * bytes, and a part whose bytes would not survive that round trip is left as it is.
 */
function withoutOwnBanners(
  body: string,
  format: PartFormat,
  { ownBanners: banners }: Marks,
  label: string | undefined,
  eol: string,
): { body: string; removed: number } {
  if (!banners?.length) return { body, removed: 0 };
  const text = label === undefined ? body : fromLatin1(body, label);
  if (text === undefined || (label !== undefined && toLatin1(text, label) !== body))
    return { body, removed: 0 };
  const cleaned = cleanBody(text, format.kind, banners, eol);
  if (cleaned.removed === 0) return { body, removed: 0 };
  const result = label === undefined ? cleaned.text : toLatin1(cleaned.text, label);
  return { body: result, removed: cleaned.removed };
}

function cleanBody(
  text: string,
  kind: BodyKind,
  banners: readonly OwnBanner[],
  eol: string,
): { text: string; removed: number } {
  if (kind === 'text') return cleanText(text, banners, lineEndingOf(text, eol));
  const { html, removed } = cleanHtml(text, banners);
  return { text: html, removed };
}

/**
 * Adds a banner and/or a footer to a decoded body part. The original bytes are kept when the
 * part's charset can hold the additions; otherwise the part is converted to UTF-8 (and the
 * caller declares the new charset). A part that cannot be decoded is left alone, with the reason.
 */
export function insertIntoBody(
  body: Buffer,
  format: PartFormat,
  additions: Additions,
  marks: Marks,
  defaultEol: string,
): InsertionResult {
  const label = (format.charset || 'us-ascii').trim().toLowerCase();
  const texts = [additions.banner ?? '', additions.footer ?? ''];
  const nonAscii = !texts.every(isAscii);
  if (!canDecode(label)) return { ok: false, reason: `unknown charset ${label}` };

  if (encodableInPlace(texts, label, format.kind)) {
    // Byte-preserving: work on latin1, so that each original byte maps to one character.
    const inLatin1 = {
      banner: additions.banner && toLatin1(additions.banner, label),
      footer: additions.footer && toLatin1(additions.footer, label),
    };
    const own = withoutOwnBanners(body.toString('latin1'), format, marks, label, defaultEol);
    const result = insert(own.body, format, inLatin1, marks, defaultEol);
    if ('failed' in result) return { ok: false, reason: result.failed };
    const untouched = own.removed === 0 && result.neutralised === 0;
    return {
      ok: true,
      // Built only when asked for: a spliced part never needs the whole new body.
      get body() {
        return Buffer.from(result.text, 'latin1');
      },
      ...(untouched
        ? {
            insertions: result.insertions.map(({ at, text }) => ({
              at,
              text: Buffer.from(text, 'latin1'),
            })),
          }
        : {}),
      nonAscii,
      added: result.added,
      neutralised: result.neutralised,
      removed: own.removed,
    };
  }

  const undeclared = isAsciiLabel(label) && body.some((byte) => byte > 0x7f);
  if (undeclared) return { ok: false, reason: '8-bit text in a part that declares no charset' };
  const decoded = decodeStrictly(body, label);
  if (decoded === undefined) return { ok: false, reason: `bytes that are not valid ${label}` };
  // Converting the charset would change the signed text's bytes.
  if (format.kind === 'text' && ARMORED_BLOCK.test(decoded))
    return { ok: false, reason: 'inline PGP content must not change its charset' };
  const own = withoutOwnBanners(decoded, format, marks, undefined, defaultEol);
  const result = insert(own.body, format, additions, marks, defaultEol);
  if ('failed' in result) return { ok: false, reason: result.failed };
  const text = format.kind === 'html' ? withMetaCharset(result.text, 'utf-8') : result.text;
  const converted = Buffer.from(text, 'utf8');
  // Checked before it is written: the new bytes read back as the text meant (a lone surrogate
  // would have become U+FFFD).
  if (!readsBackAs(converted, text)) {
    return { ok: false, reason: `text converted from ${label} does not read back as written` };
  }
  return {
    ok: true,
    body: converted,
    charset: 'utf-8',
    nonAscii: true,
    added: result.added,
    neutralised: result.neutralised,
    removed: own.removed,
  };
}
