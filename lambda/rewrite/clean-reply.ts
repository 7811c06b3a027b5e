/**
 * Clean replies: what the HTML, text and subject cleaners share. Each cleaner finds this
 * template's own marks in a reply (`clean-reply-html.ts`, `clean-reply-text.ts`, the subject's
 * tags in `subject.ts`) by their mark or their exact text.
 */

/** One of this template's inbound banners: the templates as the policy writes them. */
export interface OwnBanner {
  /** The text/plain banner, `{{placeholders}}` included. */
  text?: string;
  /** The HTML banner, `{{placeholders}}` included. */
  html?: string;
}

/** The policy's placeholders; in a delivered banner each became a one-line value. */
export const PLACEHOLDER = /\{\{(?:sender|recipientDomain|date)\}\}/;

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A banner's words in order, as a pattern: any run of white space (line breaks and NBSP
 * included) between them, `value` for each placeholder. Undefined when the template has no
 * words of its own: a lone placeholder identifies nothing.
 */
export function wordsPattern(template: string, value: string): string | undefined {
  if (template.split(PLACEHOLDER).join('').trim() === '') return undefined;
  return template
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => word.split(PLACEHOLDER).map(escapeRegExp).join(value))
    .join('\\s+');
}
