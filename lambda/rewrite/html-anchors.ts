import { Parser } from 'htmlparser2';
import { replaceRanges, type TextRange } from './text-ranges';

/** Where a banner and a footer go in an HTML document, as string offsets. */
export interface HtmlAnchors {
  /** Just after the `<body ...>` tag; else after `</head>`; else the start. */
  bannerAt: number;
  /** Just before the last explicit `</body>`; else before `</html>`; else before trailing line breaks. */
  footerAt: number;
  /** Ranges of `<meta>` tags, whose charset must follow the part's when it is converted. */
  metaTags: TextRange[];
}

/**
 * Finds the anchors with htmlparser2, so that a `</body>` inside a comment, a script or a style
 * is not taken for the real one. Offsets index the string given; pass a latin1 string to get
 * byte offsets into the original bytes.
 */
export function findHtmlAnchors(html: string): HtmlAnchors {
  let bodyOpenEnd: number | undefined;
  let headCloseEnd: number | undefined;
  let bodyClose: number | undefined;
  let htmlClose: number | undefined;
  const metaTags: HtmlAnchors['metaTags'] = [];
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'body' && bodyOpenEnd === undefined) bodyOpenEnd = parser.endIndex + 1;
        if (name === 'meta') metaTags.push({ start: parser.startIndex, end: parser.endIndex + 1 });
      },
      onclosetag(name, isImplied) {
        // Implied closings are the parser's guesses, not text in the document.
        if (isImplied) return;
        if (name === 'head') headCloseEnd = parser.endIndex + 1;
        if (name === 'body') bodyClose = parser.startIndex;
        if (name === 'html') htmlClose = parser.startIndex;
      },
    },
    { lowerCaseTags: true, decodeEntities: false },
  );
  parser.end(html);
  return {
    bannerAt: bodyOpenEnd ?? headCloseEnd ?? 0,
    footerAt: bodyClose ?? htmlClose ?? html.replace(/[\r\n\t ]+$/, '').length,
    metaTags,
  };
}

/** Rewrites the charset named in `<meta charset>` and `<meta http-equiv content>` tags. */
export function withMetaCharset(
  html: string,
  metaTags: HtmlAnchors['metaTags'],
  charset: string,
): string {
  return replaceRanges(html, metaTags, (tag) =>
    tag.replace(/(charset\s*=\s*["']?)[\w.:-]+/i, `$1${charset}`),
  );
}
