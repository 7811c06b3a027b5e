import { type DefaultTreeAdapterTypes, parse } from 'parse5';
import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { HTML_MARK_PREFIX } from '../../lambda/rewrite/html-marks';
import { loadEvent } from '../../local/events';
import { multipart, part, TOP, withTopHeaders } from '../helpers/build-mime';
import { leafParts } from '../helpers/mime';
import { type Harness, startHarness } from '../helpers/rule-harness';

type Element = DefaultTreeAdapterTypes.Element;

const inbound = loadEvent('inbound.json');
const html = (body: string, ...headers: string[]) =>
  part(['Content-Type: text/html; charset=utf-8', ...headers], body);
const text = (body: string, ...headers: string[]) =>
  part(['Content-Type: text/plain; charset=utf-8', ...headers], body);
const message = (content: Buffer) => withTopHeaders(TOP, content);

/**
 * Whether a browser shows the banner before anything the sender wrote: the banner element is the
 * first node of the body as the WHATWG algorithm builds it (parse5), white space aside. Inside a
 * template, a raw-text element or a container the sender opened, it is not.
 */
function bannerFirstInBody(document: string): boolean {
  const root = parse(document).childNodes.find((n): n is Element => n.nodeName === 'html');
  const body = root?.childNodes.find((n): n is Element => n.nodeName === 'body');
  const first = body?.childNodes.find((n) => !('value' in n && /^\s*$/.test(n.value)));
  return Boolean(
    first &&
      'attrs' in first &&
      first.attrs.some((a) => a.name.startsWith(HTML_MARK_PREFIX) && a.value === 'banner'),
  );
}

// Each one hides a `<body>` tag where htmlparser2 takes it for the start and browsers do not.
const HIDDEN_BODY_TAGS: [string, string][] = [
  ['inside <template>', '<html><head><template><body></template></head><p>Pay now</p></html>'],
  ['inside <noembed>', '<noembed><body></noembed><p>Pay now</p>'],
  ['inside <iframe>', '<iframe><body></iframe><p>Pay now</p>'],
  ['inside <noframes>', '<noframes><body></noframes><p>Pay now</p>'],
  ['inside <select>', '<select><body></select><p>Pay now</p>'],
  ['in a double-escaped script', '<script><!--<script></script><body></script><p>Pay now</p>'],
  ['after a comment that browsers end at --!>', '<!-- a --!><p>Pay now</p><!-- --><body>'],
  [
    'in a display:none container (the second <body> tag is ignored)',
    '<div style="display:none"><body><p>hidden</p></div><p>Pay now</p>',
  ],
  ['in a raw-text <textarea> of the head', '<title>x</title><textarea><body></textarea>Pay'],
];

describe('the HTML banner goes where browsers render it, through the handler', () => {
  let harness: Harness;
  let sequence = 0;

  beforeAll(async () => {
    harness = await startHarness({}, bundledPolicy());
  });

  afterAll(async () => {
    await harness.services.close();
  });

  async function run(mime: Buffer) {
    const messageId = `placement-${++sequence}`;
    harness.services.emulator.addMessage(messageId, mime);
    const result = await harness.run({
      ...inbound,
      messageId,
      invocationId: `${messageId}-invocation`,
    });
    const stored = harness.services.emulator.message(messageId) ?? Buffer.alloc(0);
    return { result, leaves: await leafParts(stored) };
  }

  it.each(HIDDEN_BODY_TAGS)(
    'puts the banner first in the body with a <body> tag %s',
    async (_name, body) => {
      const { result, leaves } = await run(message(html(body)));
      expect(result.outcome).toBe('rewritten');
      expect(bannerFirstInBody(leaves[0]?.decoded.toString('utf8') ?? '')).toBe(true);
    },
  );

  it('keeps the banner on a real <body> tag, where the cheap search finds it', async () => {
    const page =
      '<!DOCTYPE html><html><head><meta charset="utf-8"><style>p{color:red}</style><!--[if mso]><x><![endif]--></head><body style="margin:0"><p>Hi</p></body></html>';
    const { leaves } = await run(message(html(page)));
    const out = leaves[0]?.decoded.toString('utf8') ?? '';
    expect(out.startsWith(page.slice(0, page.indexOf('<p>Hi')))).toBe(true);
    expect(bannerFirstInBody(out)).toBe(true);
  });

  /** Which leaf a reader displays, by content type, must carry the banner. */
  const displayed: [string, Buffer, (leaf: { contentType: string; decoded: Buffer }) => boolean][] =
    [
      [
        'an HTML alternative with a name=',
        message(
          multipart('alternative', 'alt', [
            text('Pay now'),
            part(['Content-Type: text/html; charset=utf-8; name="letter.html"'], '<p>Pay now</p>'),
          ]),
        ),
        (leaf) => leaf.contentType === 'text/html',
      ],
      [
        'an HTML alternative with a filename=',
        message(
          multipart('alternative', 'alt', [
            text('Pay now'),
            html('<p>Pay now</p>', 'Content-Disposition: inline; filename="letter.html"'),
          ]),
        ),
        (leaf) => leaf.contentType === 'text/html',
      ],
      [
        'the multipart/related root that start= names (not the first part)',
        message(
          Buffer.from(
            multipart('related', 'rel', [
              html('<p>decoy</p>', 'Content-ID: <decoy@x>'),
              html('<p>Pay now</p>', 'Content-ID: <root@x>'),
            ])
              .toString('latin1')
              .replace('boundary="rel"', 'boundary="rel"; start="<root@x>"'),
            'latin1',
          ),
        ),
        (leaf) => leaf.decoded.toString().includes('Pay now'),
      ],
      [
        'a single-part HTML body with a file name',
        message(html('<p>Pay now</p>', 'Content-Disposition: attachment; filename="pay.html"')),
        () => true,
      ],
      [
        'a body with an empty Content-Type',
        message(part(['Content-Type:'], 'Pay now')),
        () => true,
      ],
      [
        'a body of Content-Type text with no subtype',
        message(part(['Content-Type: text'], 'Pay now')),
        () => true,
      ],
    ];

  it.each(displayed)('puts the banner on %s', async (_name, mime, isShown) => {
    const { result, leaves } = await run(mime);
    expect(result.outcome).toBe('rewritten');
    const shown = leaves.filter(isShown);
    expect(shown.length).toBeGreaterThan(0);
    for (const leaf of shown) expect(leaf.decoded.toString('utf8')).toContain('CAUTION');
  });

  it('puts the text banner before a forged armored PGP line, which switches nothing off', async () => {
    const body = 'Pay now.\r\n-----BEGIN PGP MESSAGE-----\r\nnot really\r\n';
    const { result, leaves } = await run(message(text(body)));
    expect(result.outcome).toBe('rewritten');
    const out = leaves[0]?.decoded.toString('utf8') ?? '';
    expect(out.startsWith('CAUTION')).toBe(true);
    expect(out.endsWith(body)).toBe(true);
  });
});
