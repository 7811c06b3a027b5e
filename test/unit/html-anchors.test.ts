import fc from 'fast-check';
import { type DefaultTreeAdapterTypes, parse } from 'parse5';
import {
  findBannerAt,
  findFooterAt,
  MAX_BYTES_BEFORE_BODY,
} from '../../lambda/rewrite/html-anchors';
import { PROPERTY_RUN_TIMEOUT } from '../helpers/timeouts';

type Element = DefaultTreeAdapterTypes.Element;
const MARK = '<div id="mark-banner"></div>';

/** The body's nodes as a browser builds them (parse5 is the reference implementation). */
function bodyNodes(document: string) {
  const root = parse(document).childNodes.find((n): n is Element => n.nodeName === 'html');
  const body = root?.childNodes.find((n): n is Element => n.nodeName === 'body');
  return (body?.childNodes ?? []).filter((n) => !('value' in n && /^[\t\n\f\r ]*$/.test(n.value)));
}

const isMark = (node: unknown) =>
  typeof node === 'object' &&
  node !== null &&
  'attrs' in node &&
  (node as Element).attrs.some((a) => a.name === 'id' && a.value === 'mark-banner');

/** A marker inserted at `findBannerAt` is the first thing a browser shows in the body. */
function bannerIsFirst(document: string): boolean {
  const at = findBannerAt(document);
  if (at === undefined) return parse(document).childNodes.length > 0;
  return isMark(bodyNodes(`${document.slice(0, at)}${MARK}${document.slice(at)}`)[0]);
}

// Pieces a hostile sender or a broken client writes before, around and inside the body.
const PIECES = [
  '<html>',
  '<head>',
  '</head>',
  '<body>',
  '<body style="a>b">',
  '<body class=x/y>',
  '</body>',
  '<template>',
  '</template>',
  '<noembed>',
  '</noembed>',
  '<iframe>',
  '</iframe>',
  '<noframes>',
  '</noframes>',
  '<select>',
  '</select>',
  '<script>',
  '</script>',
  '<!--',
  '-->',
  '--!>',
  '<!-->',
  '<style>',
  '</style>',
  '<title>',
  '</title>',
  '<textarea>',
  '<meta charset="utf-8">',
  '<link rel=x>',
  '<!DOCTYPE html>',
  '<div style="display:none">',
  '</div>',
  '<p>text</p>',
  'text',
  '\u00a0',
  ' ',
  '\r\n',
  '<',
  '&amp;',
  '<table>',
  '<svg>',
];

describe('findBannerAt', () => {
  it(
    'finds where browsers start the body, for documents built from hostile pieces',
    () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }), (pieces) => {
          expect(bannerIsFirst(pieces.join(''))).toBe(true);
        }),
        { numRuns: 2000 },
      );
    },
    PROPERTY_RUN_TIMEOUT,
  );

  it('agrees with the full parse when the body starts beyond the first prefix parsed', () => {
    const head = `<head><script>${'x'.repeat(200_000)}<body></script></head>`;
    const document = `${head}<div style="display:none"><body>hidden</div><p>shown</p>`;
    expect(findBannerAt(document)).toBe(head.length);
    expect(bannerIsFirst(document)).toBe(true);
  });

  // A regex that backtracked exponentially would not finish these (the test's timeout fails it).
  it.each([
    ['white space after <body', `<body${' '.repeat(60)}<p>x`],
    ['attributes without an end', `<html${' a'.repeat(60)} <p>x`],
    ['slashes in a value', `<body a=b${'/c'.repeat(60)}<p>x`],
  ])('finds the body start of a hostile tag: %s', (_case, document) => {
    expect(bannerIsFirst(document)).toBe(true);
  });

  it('takes the cheap path on a plain head and skips a byte order mark', () => {
    const page = '\xef\xbb\xbf<!DOCTYPE html><html><head><title>t</title></head><body>x';
    expect(findBannerAt(page)).toBe(page.indexOf('x'));
  });

  it(
    'gives up when the body does not start within the bound (the fallback then answers)',
    () => {
      const document = `<head><script>${'x'.repeat(MAX_BYTES_BEFORE_BODY + 10)}</script></head><p>late</p>`;
      expect(findBannerAt(document)).toBeUndefined();
    },
    PROPERTY_RUN_TIMEOUT,
  );
});

describe('findFooterAt', () => {
  it('finds where browsers make an empty body: after the head', () => {
    const page = '<html><head><title>t</title></head></html>\r\n';
    expect(findBannerAt(page)).toBe(page.indexOf('</html>'));
    expect(bannerIsFirst(page)).toBe(true);
  });

  it('goes after the last node of the body, not inside a comment or a script', () => {
    const page =
      '<body><p>x</p><script>var s = "</body>";</script><!-- </body> -->\r\n</body></html>';
    expect(page.slice(findFooterAt(page))).toBe('\r\n</body></html>');
  });
});
