import { createHash } from 'node:crypto';
import { Parser } from 'htmlparser2';
import { replaceRanges, type TextRange } from './text-ranges';

/** Every HTML addition of this engine carries an attribute whose name starts with this. */
export const HTML_MARK_PREFIX = 'data-mail-rewrite';
/** What a stranger's copy of the mark is renamed to: it then marks nothing. */
const NEUTRALISED_PREFIX = 'data-foreign-mail-rewrite';

/**
 * The run's own mark token, derived from the marker value (the invocation id), so that a retried
 * run writes the same bytes and a sender, who cannot know the value, cannot name the attribute in
 * a stylesheet (CSS selects attribute values by prefix, never attribute names).
 */
export function markToken(markerValue: string): string {
  return createHash('sha256').update(markerValue).digest('hex').slice(0, 12);
}

/**
 * Declarations that keep the addition on screen: inline `!important` wins over any stylesheet in
 * the message, so a sender's `display:none` (or any of these tricks) aimed at it has no effect.
 */
const STAY_VISIBLE = [
  'display:block',
  'visibility:visible',
  'opacity:1',
  'position:static',
  'transform:none',
  'clip-path:none',
  'filter:none',
  'height:auto',
  'max-height:none',
  'overflow:visible',
  'margin:0',
  'text-indent:0',
]
  .map((declaration) => `${declaration}!important`)
  .join(';');

/** The element that wraps an HTML banner or footer. */
export function htmlMarkOpening(role: 'banner' | 'footer', token: string): string {
  return `<div ${HTML_MARK_PREFIX}-${token}="${role}" style="${STAY_VISIBLE}">`;
}

// Browsers and htmlparser2 also take `/` or a closing quote as the end of the previous attribute.
const FOREIGN_MARK = new RegExp(`([\\s/"'])${HTML_MARK_PREFIX}`, 'gi');

/**
 * Renames every attribute that looks like this engine's mark in HTML from a stranger, so that no
 * copy of it (in a stylesheet's target or in a later reply) passes for ours. Only tags are touched,
 * as htmlparser2 finds them; text, comments and scripts stay as they are.
 */
export function neutraliseForeignMarks(html: string): { html: string; count: number } {
  if (!html.toLowerCase().includes(HTML_MARK_PREFIX)) return { html, count: 0 };
  const tags: TextRange[] = [];
  let start = 0;
  const parser = new Parser(
    {
      onopentagname() {
        start = parser.startIndex;
      },
      onopentag() {
        tags.push({ start, end: parser.endIndex + 1 });
      },
    },
    { decodeEntities: false },
  );
  parser.end(html);
  let count = 0;
  const renamed = replaceRanges(html, tags, (tag) =>
    tag.replace(FOREIGN_MARK, (_match, space) => {
      count++;
      return `${space}${NEUTRALISED_PREFIX}`;
    }),
  );
  return { html: renamed, count };
}
