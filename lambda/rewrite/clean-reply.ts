import libmime = require('libmime');

import type { ChildNode, Element } from 'domhandler';
import { DomUtils, ElementType, parseDocument } from 'htmlparser2';

import { HTML_MARK_PREFIX } from './html-marks';
import { lineEndingOf } from './line-ending';
import { REPLY_PREFIX } from './subject-tag';
import { replaceRanges, type TextRange } from './text-ranges';

/** One of this template's inbound banners: the templates as the policy writes them. */
export interface OwnBanner {
  /** The text/plain banner, `{{placeholders}}` included. */
  text?: string;
  /** The HTML banner, `{{placeholders}}` included. */
  html?: string;
}

/** The policy's placeholders; in a delivered banner each became a one-line value. */
const PLACEHOLDER = /\{\{(?:sender|recipientDomain|date)\}\}/;

// Elements whose edges break the line when shown: their text never runs into a neighbour's.
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'center',
  'dd',
  'div',
  'dl',
  'dt',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
]);

// A banner is taken out of the quote, never the quote with it (an original whose body was
// only the banner leaves an empty quote, not no quote).
const CONTAINERS = new Set(['html', 'body', 'blockquote']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A banner's words in order, as a pattern: any run of white space (line breaks and NBSP
 * included) between them, `value` for each placeholder. Undefined when the template has no
 * words of its own: a lone placeholder identifies nothing.
 */
function wordsPattern(template: string, value: string): string | undefined {
  if (template.split(PLACEHOLDER).join('').trim() === '') return undefined;
  return template
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => word.split(PLACEHOLDER).map(escapeRegExp).join(value))
    .join('\\s+');
}

/** All of an element's shown text is the banner; a value does not cross a shown line break. */
function htmlBannerPattern(template: string): RegExp[] {
  const words = wordsPattern(template, '[^\\n]+?');
  return words === undefined ? [] : [new RegExp(`^\\s*${words}\\s*$`)];
}

interface ShownText {
  text: string;
  /** Where each element's text lies in `text`. */
  ranges: Map<Element, { from: number; to: number }>;
}

/**
 * The text a reader sees, in one string: text nodes with their line breaks as spaces (source
 * wrapping is not shown), a line break at the edges of blocks and for `<br>`. Scripts, styles
 * and comments show nothing. Built once, so each element's text is a slice, not a new walk.
 */
function shownText(nodes: readonly ChildNode[]): ShownText {
  let text = '';
  const ranges: ShownText['ranges'] = new Map();
  const walk = (node: ChildNode): void => {
    if (DomUtils.isText(node)) text += node.data.replace(/[\r\n]+/g, ' ');
    else if (node.type === ElementType.Tag) {
      const from = text.length;
      const block = BLOCKS.has(node.name);
      if (node.name === 'br' || block) text += '\n';
      for (const child of node.children) walk(child);
      if (block) text += '\n';
      ranges.set(node, { from, to: text.length });
    }
  };
  for (const node of nodes) walk(node);
  return { text, ranges };
}

/** The texts a reader sees of a banner: the text template, and what the HTML one shows. */
function bannerTexts(banner: OwnBanner): string[] {
  const texts = [banner.text ?? ''];
  if (banner.html) texts.push(shownText(parseDocument(banner.html).children).text);
  return texts.filter((text) => text.trim() !== '');
}

function isBannerMark(name: string, value: string): boolean {
  const ours = name === HTML_MARK_PREFIX || name.startsWith(`${HTML_MARK_PREFIX}-`);
  return ours && value === 'banner';
}

/**
 * Where an element's source ends. An element closed by its own end tag ends there; one the
 * parser closed implicitly (`<p>` before the next `<p>`, `<td>` at `</table>`) gets an end
 * index inside the next tag, so its source ends with its last child instead.
 */
function sourceEnd(html: string, node: ChildNode): number | undefined {
  if (node.endIndex === null) return undefined;
  if (!DomUtils.isTag(node)) return node.endIndex + 1;
  const source = html.slice(node.startIndex ?? 0, node.endIndex + 1);
  const endTag = /<\/([^\s/>]+)\s*>$/.exec(source);
  if (endTag?.[1]?.toLowerCase() === node.name) return node.endIndex + 1;
  const last = node.children.at(-1);
  return last && sourceEnd(html, last);
}

/** The text without the cut ranges (in order, not overlapping). */
function withoutCuts(text: string, cuts: readonly TextRange[]): string {
  return replaceRanges(text, cuts, () => '');
}

/**
 * Takes this template's inbound banners out of an HTML body (a reply's or a forward's quote).
 * An element is a banner when it carries the mark (`data-mail-rewrite` or
 * `data-mail-rewrite-<token>` with the value `banner`), or, where a client dropped the mark when
 * quoting, when the text it shows is exactly a banner's text (placeholders standing for any
 * one-line value). The outermost such element goes, cut from the source as it stands: every
 * other byte stays, and text in comments or scripts is never taken for markup. Footers stay.
 *
 * @param html the body, decoded from its charset, so that the banner's characters compare
 */
export function cleanHtml(
  html: string,
  banners: readonly OwnBanner[],
): { html: string; removed: number } {
  const patterns = banners.flatMap(bannerTexts).flatMap(htmlBannerPattern);
  const document = parseDocument(html, { withStartIndices: true, withEndIndices: true });
  const shown = shownText(document.children);
  const isBanner = (element: Element): boolean => {
    if (Object.entries(element.attribs).some(([name, value]) => isBannerMark(name, value)))
      return true;
    const range = shown.ranges.get(element);
    if (!range || CONTAINERS.has(element.name)) return false;
    const text = shown.text.slice(range.from, range.to);
    return patterns.some((pattern) => pattern.test(text));
  };
  const cuts: TextRange[] = [];
  const visit = (node: ChildNode): void => {
    if (node.type !== ElementType.Tag) return;
    const to = isBanner(node) ? sourceEnd(html, node) : undefined;
    if (to === undefined) for (const child of node.children) visit(child);
    else cuts.push({ start: node.startIndex ?? 0, end: to });
  };
  for (const node of document.children) visit(node);
  return { html: withoutCuts(html, cuts), removed: cuts.length };
}

interface TextLine {
  /** Where the line starts in the text, and where the next one starts. */
  from: number;
  to: number;
  /** Quote depth: the `>` signs in front (`> `, `>> `, `> > `). */
  depth: number;
  /** The line without its quote prefix. */
  content: string;
}

function textLines(text: string, eol: string): TextLine[] {
  const lines: TextLine[] = [];
  let from = 0;
  for (const line of text.split(eol)) {
    const prefix = /^(?:>[ \t]?)*/.exec(line)?.[0] ?? '';
    const to = Math.min(from + line.length + eol.length, text.length);
    const depth = prefix.split('>').length - 1;
    lines.push({ from, to, depth, content: line.slice(prefix.length) });
    from = to;
  }
  return lines;
}

const isBlank = (line: TextLine | undefined): boolean => line?.content.trim() === '';

/** Lines between blank lines, at one quote depth. */
interface Paragraph {
  first: number;
  last: number;
  depth: number;
  /** The lines without their quote prefixes, joined with the text's line ending. */
  text: string;
}

function paragraphsOf(lines: readonly TextLine[], eol: string): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  lines.forEach((line, index) => {
    if (isBlank(line)) return;
    const current = paragraphs.at(-1);
    if (current && current.last === index - 1 && current.depth === line.depth) {
      current.last = index;
      current.text += `${eol}${line.content}`;
    } else paragraphs.push({ first: index, last: index, depth: line.depth, text: line.content });
  });
  return paragraphs;
}

/** Whether only blank lines of the paragraphs' depth lie between two paragraphs. */
function onlyBlanksBetween(lines: readonly TextLine[], a: Paragraph, b: Paragraph): boolean {
  const between = lines.slice(a.last + 1, b.first);
  return a.depth === b.depth && between.every((line) => isBlank(line) && line.depth === a.depth);
}

/**
 * The paragraphs of a banner text, each as a pattern that matches from the start of a text
 * paragraph to the end of one of its lines. Clients re-wrap quoted text, so a value may cross
 * line breaks; and a client that turned the HTML banner into text may not leave a blank line
 * after it, so the banner may be followed by more lines of the same paragraph.
 */
function textBannerPatterns(text: string, eol: string): RegExp[][] {
  const patterns = text
    .split(/\n\s*\n/)
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => wordsPattern(paragraph, '[\\s\\S]+?'));
  if (!patterns.every((words) => words !== undefined)) return [];
  const lineEnd = `(?=[^\\S\\r\\n]*(?:${escapeRegExp(eol)}|$))`;
  return [patterns.map((words) => new RegExp(`^\\s*${words}${lineEnd}`))];
}

/**
 * The last line of a banner that starts with paragraph `at`, or undefined when none does. Each
 * banner paragraph but the last must be a whole paragraph of the text.
 */
function bannerEnd(
  banners: readonly RegExp[][],
  paragraphs: readonly Paragraph[],
  lines: readonly TextLine[],
  at: number,
  eol: string,
): number | undefined {
  for (const patterns of banners) {
    let end: number | undefined;
    const matches = patterns.every((pattern, k) => {
      const paragraph = paragraphs[at + k];
      const previous = paragraphs[at + k - 1];
      if (!paragraph) return false;
      if (previous && k > 0 && !onlyBlanksBetween(lines, previous, paragraph)) return false;
      const covered = pattern.exec(paragraph.text)?.[0].split(eol).length;
      end = covered === undefined ? undefined : paragraph.first + covered - 1;
      return end !== undefined && (k === patterns.length - 1 || end === paragraph.last);
    });
    if (matches) return end;
  }
  return undefined;
}

/**
 * Takes this template's inbound banners out of a plain-text body. A banner starts a paragraph
 * (lines between blank lines, at one quote depth: `>` signs or none) and ends at the end of a
 * line; its words are exactly a banner's, whatever the line wrapping. It goes with one blank
 * line that follows it at the same depth. Every other byte stays.
 *
 * @param text the body, decoded from its charset
 * @param eol the line ending that separates lines; by default the text's first one (else CRLF)
 */
export function cleanText(
  text: string,
  banners: readonly OwnBanner[],
  eol: string = lineEndingOf(text),
): { text: string; removed: number } {
  const patterns = banners.flatMap(bannerTexts).flatMap((shown) => textBannerPatterns(shown, eol));
  const lines = textLines(text, eol);
  const paragraphs = paragraphsOf(lines, eol);
  const cuts: TextRange[] = [];
  let taken = -1;
  paragraphs.forEach((paragraph, at) => {
    // A banner of several paragraphs has taken this one already.
    if (paragraph.first <= taken) return;
    const last = bannerEnd(patterns, paragraphs, lines, at, eol);
    if (last === undefined) return;
    const next = lines[last + 1];
    taken = isBlank(next) && next?.depth === paragraph.depth ? last + 1 : last;
    const from = lines[paragraph.first]?.from ?? 0;
    const to = lines[taken]?.to ?? text.length;
    // A banner on the last line, with no line ending of its own, takes the one before it.
    const atEnd = to === text.length && !text.endsWith(eol);
    cuts.push({ start: atEnd ? Math.max(0, from - eol.length) : from, end: to });
  });
  return { text: withoutCuts(text, cuts), removed: cuts.length };
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
export function cleanSubjectLine(line: string, tags: readonly string[]): string | undefined {
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
