import type { ChildNode, Element } from 'domhandler';
import { DomUtils, ElementType, parseDocument } from 'htmlparser2';
import { type OwnBanner, wordsPattern } from './clean-reply';
import { HTML_MARK_PREFIX } from './html-marks';
import { replaceRanges, type TextRange } from './text-ranges';

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
export function bannerTexts(banner: OwnBanner): string[] {
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
export function withoutCuts(text: string, cuts: readonly TextRange[]): string {
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
