import { Parser as Htmlparser2 } from 'htmlparser2';
import { type DefaultTreeAdapterTypes, parse, type Token } from 'parse5';
import { replaceRanges, type TextRange } from './text-ranges';

type Element = DefaultTreeAdapterTypes.Element;
type ChildNode = DefaultTreeAdapterTypes.ChildNode;
type SourceLocation = Token.Location & Partial<Token.ElementLocation>;

/**
 * The body must start within this many bytes (browsers' view): beyond, the banner is not placed
 * and the policy's fallback answers. parse5 is slow (about 1 MB/s on the development machine),
 * so a sender must not be able to make it parse 16 MB of head for every message.
 */
export const MAX_BYTES_BEFORE_BODY = 1024 * 1024;
/** Largest document parsed whole to place a footer; a larger one gets the simple placement. */
export const MAX_FOOTER_PARSE_BYTES = 2 * 1024 * 1024;
/** The first parse reads this much; each next one twice as much. */
const FIRST_PREFIX_BYTES = 64 * 1024;
/**
 * A parse of a prefix ends with an end of file that the document does not have: the last few
 * characters may come out as text (`<`, `</`) or a character reference may read differently. An
 * anchor found this far before the cut came from tokens the whole document has too.
 */
const CUT_MARGIN = 64;

const WS = '[\\t\\n\\f\\r ]';
// Unambiguous, so that a failed match cannot backtrack exponentially (a sender controls the
// input): each attribute starts after at least one separator; a name holds none; an unquoted value
// holds no `/` (browsers would take it into the value: the tag still ends at the same `>`).
const SEP = '[\\t\\n\\f\\r /]';
const ATTRIBUTES = `(?:${SEP}+[^\\t\\n\\f\\r /<>"'=]+(?:${WS}*=${WS}*(?:"[^"]*"|'[^']*'|[^\\t\\n\\f\\r /<>"'=\`]+))?)*${SEP}*`;
/**
 * What may come before `<body>` for the cheap search to trust it as browsers would: white space,
 * a doctype, plain comments (none ended by `--!>`, none `<!-->`), `<html>`, `<head>`, `<meta>`,
 * `<link>`, `<base>`, and `<title>` or `<style>` without a `<` inside. Anything else (a script,
 * a template, text, an unusual comment or attribute) goes to the full parser. Character classes
 * name HTML's own white space: `\s` would take U+00A0, which browsers read as text.
 */
const SAFE_PROLOGUE = new RegExp(
  `^(?:${WS}+|<!doctype[^<>]*>|<!--(?!-?>)(?:(?!--!>)[\\s\\S])*?-->|</?(?:html|head)${ATTRIBUTES}>|<(?:meta|link|base)${ATTRIBUTES}>|<(title|style)${ATTRIBUTES}>[^<]*</\\1${WS}*>)*`,
  'i',
);
const BODY_TAG = new RegExp(`^<body(?=[\\t\\n\\f\\r />])${ATTRIBUTES}>`, 'i');
// A UTF-8 byte order mark as a latin1 string, or as a character.
const BOM = /^(\xef\xbb\xbf|\ufeff)/;

/** Where the document's `<body>` ends, when the cheap search can prove it. */
function cheapBannerAt(html: string, from: number): number | undefined {
  const rest = html.slice(from, from + MAX_BYTES_BEFORE_BODY);
  const prologue = SAFE_PROLOGUE.exec(rest)?.[0].length ?? 0;
  const tag = BODY_TAG.exec(rest.slice(prologue));
  return tag ? from + prologue + tag[0].length : undefined;
}

type Document = DefaultTreeAdapterTypes.Document;
type Node = Document | ChildNode;

function parsed(html: string): { document: Document; root?: Element; body?: Element } {
  const document = parse(html, { sourceCodeLocationInfo: true });
  const root = document.childNodes.find((n): n is Element => n.nodeName === 'html');
  const body = root?.childNodes.find((n): n is Element => n.nodeName === 'body');
  return { document, ...(root ? { root } : {}), ...(body ? { body } : {}) };
}

/**
 * Where a node's source ends, from its tags and comments only: parse5 places text made from a
 * character reference (`&amp;`) after where it stands, and stretches the white space before it.
 */
function tagEnd(node: Node): number {
  const location = ('sourceCodeLocation' in node ? node.sourceCodeLocation : undefined) as
    | SourceLocation
    | null
    | undefined;
  if (location?.endTag) return location.endTag.endOffset;
  if (location && !('tagName' in node) && node.nodeName !== '#text') return location.endOffset;
  const children = 'childNodes' in node ? node.childNodes : [];
  return Math.max(location?.startTag?.endOffset ?? 0, ...children.map(tagEnd));
}

/** The source offset just past the last node that went in before the body (head, comments...). */
function beforeBodyEnd(html: string, document: Document, root: Element, body: Element): number {
  const before = [
    ...document.childNodes.slice(0, document.childNodes.indexOf(root)),
    ...root.childNodes.slice(0, root.childNodes.indexOf(body)),
  ];
  const end = Math.max(root.sourceCodeLocation?.startTag?.endOffset ?? 0, ...before.map(tagEnd));
  // White space after it went nowhere visible (the head, or the html element).
  return end + (/^[\t\n\f\r ]*/.exec(html.slice(end))?.[0].length ?? 0);
}

/**
 * Where the body's content starts in a parsed document: after its `<body>` tag; else where the
 * first token that went into the body stands. Undefined when there is no body, or (`complete`
 * false, a prefix) when nothing has gone into it yet.
 */
function parsedBannerAt(html: string, complete: boolean): number | undefined {
  const { document, root, body } = parsed(html);
  if (!root || !body) return undefined;
  const tag = body.sourceCodeLocation?.startTag;
  if (tag) return tag.endOffset;
  const at = beforeBodyEnd(html, document, root, body);
  if (body.childNodes.length > 0) return at;
  return complete ? emptyBodyAt(html, at) : undefined;
}

const PROBE = '<div></div>';

/**
 * A document whose body holds nothing: the banner goes where browsers make the body, unless the
 * document ends inside an element of the head that would swallow it as text (an unclosed
 * `<title>`, say), which a parse with a probe there shows.
 */
function emptyBodyAt(html: string, at: number): number | undefined {
  const first = parsed(`${html.slice(0, at)}${PROBE}`).body?.childNodes[0];
  return first && 'tagName' in first ? at : undefined;
}

/**
 * Where a banner goes: at the start of the body as browsers build it (the WHATWG algorithm, by
 * parse5), so never inside a template, a raw-text or inert element, a comment, or a container
 * opened before a second `<body>` tag (browsers ignore that tag). Undefined when the body does not
 * start within MAX_BYTES_BEFORE_BODY (or the document is a frameset): the caller reports the banner
 * as not placed. Offsets index the string given; pass a latin1 string for byte offsets.
 */
export function findBannerAt(html: string): number | undefined {
  const from = BOM.exec(html)?.[0].length ?? 0;
  const cheap = cheapBannerAt(html, from);
  if (cheap !== undefined) return cheap;
  const text = html.slice(from);
  for (let cut = FIRST_PREFIX_BYTES; ; cut *= 2) {
    const whole = cut >= text.length;
    const at = parsedBannerAt(whole ? text : text.slice(0, cut), whole);
    if (whole) return at === undefined ? undefined : at + from;
    if (at !== undefined && at < cut - CUT_MARGIN) return at + from;
    if (cut >= MAX_BYTES_BEFORE_BODY) return undefined;
  }
}

/** The offset where a node's source ends: its end tag, else its last descendant's end. */
function endOf(node: ChildNode): number | undefined {
  const location = node.sourceCodeLocation;
  if (location && 'endTag' in location && location.endTag) return location.endTag.endOffset;
  const children = 'childNodes' in node ? node.childNodes : [];
  const last = children.at(-1);
  const inner = last ? endOf(last) : undefined;
  return Math.max(inner ?? 0, location?.endOffset ?? 0) || undefined;
}

/** `end`, moved back over HTML white space (a scan: /\s+$/ is quadratic on long runs of it). */
function trimmedEnd(html: string, end: number): number {
  let at = end;
  while (at > 0 && ' \t\n\f\r'.includes(html.charAt(at - 1))) at--;
  return at;
}

/**
 * Where a footer goes: after the last node of the body as browsers build it, white space aside
 * (content written after `</body>` joins the body too). A document larger than MAX_FOOTER_PARSE_BYTES is not parsed: its
 * footer goes before a final `</body>`, else at the end.
 */
export function findFooterAt(html: string): number {
  const trimmed = trimmedEnd(html, html.length);
  if (html.length <= MAX_FOOTER_PARSE_BYTES) {
    const last = parsed(html)
      .body?.childNodes.filter((n) => !('value' in n && /^[\t\n\f\r ]*$/.test(n.value)))
      .at(-1);
    const end = last && endOf(last);
    // Before the white space that ends the last text, as before `</body>`.
    if (end !== undefined) return trimmedEnd(html, end);
  }
  const closing = /<\/body[\t\n\f\r ]*>(?:[\t\n\f\r ]*<\/html[\t\n\f\r ]*>)?[\t\n\f\r ]*$/i.exec(
    html,
  );
  return closing ? closing.index : trimmed;
}

/** Ranges of `<meta>` tags, whose charset must follow the part's when it is converted. */
export function findMetaTags(html: string): TextRange[] {
  const metaTags: TextRange[] = [];
  const parser = new Htmlparser2(
    {
      onopentag(name) {
        if (name === 'meta') metaTags.push({ start: parser.startIndex, end: parser.endIndex + 1 });
      },
    },
    { lowerCaseTags: true, decodeEntities: false },
  );
  parser.end(html);
  return metaTags;
}

/** Rewrites the charset named in `<meta charset>` and `<meta http-equiv content>` tags. */
export function withMetaCharset(html: string, charset: string): string {
  return replaceRanges(html, findMetaTags(html), (tag) =>
    tag.replace(/(charset\s*=\s*["']?)[\w.:-]+/i, `$1${charset}`),
  );
}
