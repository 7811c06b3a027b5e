import { escapeRegExp, type OwnBanner, wordsPattern } from './clean-reply';
import { bannerTexts, withoutCuts } from './clean-reply-html';
import { lineEndingOf } from './line-ending';
import type { TextRange } from './text-ranges';

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
