import libmime = require('libmime');

import type { OwnBanner } from '../../lambda/rewrite/clean-reply';
import { cleanHtml } from '../../lambda/rewrite/clean-reply-html';
import { cleanText } from '../../lambda/rewrite/clean-reply-text';
import type { PlannedRewrite } from '../../lambda/rewrite/rewrite-rules';
import { untagSubjectLine } from '../../lambda/rewrite/subject';
import { part, TOP, withTopHeaders } from '../helpers/build-mime';
import { rewriteBuffer } from '../helpers/mime';
import {
  appleReplyToOlderBanner,
  BANNER_TEXT,
  BANNER_WORDS,
  insertedBanner,
  markOpening,
  OWN_BANNERS,
  OWN_TAGS,
  REPLY_FIXTURES,
  TAG,
} from '../helpers/reply-fixtures';

const occurrences = (text: string, part: string): number => text.split(part).length - 1;
/** How often the banner's words show, across line breaks and quote prefixes. */
const bannersShown = (text: string): number =>
  occurrences(text.replace(/(^|\n)[> \t]*/g, '$1').replace(/\s+/g, ' '), BANNER_WORDS);

const bodies = (kind: 'html' | 'text') =>
  REPLY_FIXTURES.flatMap((fixture) => {
    const quoted = fixture[kind];
    return quoted ? [{ name: `${fixture.client}, ${fixture.kind}`, ...quoted }] : [];
  });

const clean = (kind: 'html' | 'text', body: string) => {
  if (kind === 'text') return cleanText(body, OWN_BANNERS);
  const { html, removed } = cleanHtml(body, OWN_BANNERS);
  return { text: html, removed };
};

describe.each([
  ['cleanHtml', 'html'],
  ['cleanText', 'text'],
] as const)('%s over replies and forwards', (_name, kind) => {
  it.each(bodies(kind))('takes the banner out of $name and keeps every other byte', (body) => {
    // Arrange
    expect(bannersShown(body.withBanner)).toBe(body.banners);

    // Act
    const result = clean(kind, body.withBanner);

    // Assert
    expect(result.removed).toBe(body.banners);
    expect(result.text).toBe(body.withoutBanner);
    for (const kept of body.keeps) expect(result.text).toContain(kept);
    expect(bannersShown(result.text)).toBe(0);
    expect(occurrences(result.text, TAG)).toBe(body.tagsLeft);
  });

  it.each(bodies(kind))('leaves $name alone once it is clean', (body) => {
    expect(clean(kind, body.withoutBanner)).toEqual({ text: body.withoutBanner, removed: 0 });
  });
});

describe('untagSubjectLine over replies and forwards', () => {
  it.each(
    REPLY_FIXTURES.map((fixture) => ({ name: `${fixture.client}, ${fixture.kind}`, ...fixture })),
  )('takes the tag out of the subject of $name', ({ subject }) => {
    expect(untagSubjectLine(subject.line, OWN_TAGS)).toBe(subject.cleaned);
  });
});

describe('cleanHtml', () => {
  const banner = insertedBanner('new');

  it('keeps a banner whose text differs in one word when the mark is gone', () => {
    // Arrange
    const outlook = REPLY_FIXTURES.find(
      (f) => f.client === 'Outlook desktop' && f.kind === 'reply',
    );
    const html = outlook?.html?.withBanner.replace('recognize', 'know') ?? '';
    expect(html).toContain('unless you know the sender');

    // Act
    const result = cleanHtml(html, OWN_BANNERS);

    // Assert
    expect(result).toEqual({ html, removed: 0 });
  });

  it('removes a marked banner whose text the admin has changed since', () => {
    // Arrange
    const older = '<p><b>WARNING:</b> external sender ({{sender}}), take care.</p>';
    const fixture = appleReplyToOlderBanner(older.replace('{{sender}}', 'pat@supplier.example'));

    // Act
    const result = cleanHtml(fixture.html?.withBanner ?? '', OWN_BANNERS);

    // Assert
    expect(result).toEqual({ html: fixture.html?.withoutBanner, removed: 1 });
  });

  it.each([
    ['new', `${markOpening('footer')}<p>Confidential.</p></div>`],
    ['old', '<div data-mail-rewrite="footer"><p>Confidential.</p></div>'],
  ])('keeps a footer in the %s wrapper', (_format, footer) => {
    const html = `<html><body><p>Reply</p><blockquote>${banner}<p>Hello</p>${footer}</blockquote></body></html>`;

    const result = cleanHtml(html, OWN_BANNERS);

    expect(result.html).toBe(html.replace(banner, ''));
    expect(result.html).toContain(footer);
  });

  it('does not take marks or banner text in comments, scripts or styles for elements', () => {
    const html = [
      '<html><head><style>/* <div data-mail-rewrite="banner">x</div> */</style></head><body>',
      `<!-- ${banner} -->`,
      `<script>document.write('${banner.replace(/\r\n/g, ' ')}')</script>`,
      '<p>Hello</p></body></html>',
    ].join('');

    expect(cleanHtml(html, OWN_BANNERS)).toEqual({ html, removed: 0 });
  });

  it('removes the banner, not the quote it is alone in', () => {
    const html = `<div>Forwarding an empty one.</div><blockquote type="cite">${banner}</blockquote>`;

    expect(cleanHtml(html, OWN_BANNERS)).toEqual({
      html: '<div>Forwarding an empty one.</div><blockquote type="cite"></blockquote>',
      removed: 1,
    });
  });

  it('cuts an element the parser closed implicitly at the end of its content', () => {
    const unmarked = `<p>${BANNER_TEXT}<p>Hello</p>`;

    expect(cleanHtml(`<body><blockquote>${unmarked}</blockquote></body>`, OWN_BANNERS)).toEqual({
      html: '<body><blockquote><p>Hello</p></blockquote></body>',
      removed: 1,
    });
  });

  it('matches the text template where the HTML one differs, and any value for a placeholder', () => {
    const banners: OwnBanner[] = [{ text: 'External mail from {{sender}} on {{date}}.' }];
    const html =
      '<div><p>External mail from a@b.example on 25&nbsp;Nov\r\n 2025.</p><p>Hi</p></div>';

    expect(cleanHtml(html, banners)).toEqual({ html: '<div><p>Hi</p></div>', removed: 1 });
  });

  it('does not let a placeholder value run across a line break', () => {
    const banners: OwnBanner[] = [{ text: 'External mail from {{sender}}.' }];
    const html = '<div>External mail from a@b.example<br>and more.</div>';

    expect(cleanHtml(html, banners).removed).toBe(0);
  });

  it('takes a template with no words of its own for no banner', () => {
    const html = '<div><p>pat@supplier.example</p></div>';

    expect(cleanHtml(html, [{ text: '{{sender}}', html: '<b>{{sender}}</b>' }]).removed).toBe(0);
  });
});

describe('cleanText', () => {
  it('keeps a banner paragraph that differs in one word', () => {
    const text = `Reply\r\n\r\n> ${BANNER_TEXT.replace('recognize', 'know')}\r\n>\r\n> Hello\r\n`;

    expect(cleanText(text, OWN_BANNERS)).toEqual({ text, removed: 0 });
  });

  it('keeps a paragraph that goes on after the banner on the same line', () => {
    const text = `> ${BANNER_TEXT} Hello Alex,\r\n> more\r\n`;

    expect(cleanText(text, OWN_BANNERS).removed).toBe(0);
  });

  it('keeps a paragraph that only starts halfway into the banner', () => {
    const text = `> Note: ${BANNER_TEXT}\r\n>\r\n> Hello\r\n`;

    expect(cleanText(text, OWN_BANNERS).removed).toBe(0);
  });

  it('removes a banner of several paragraphs, re-wrapped, with LF line endings', () => {
    const banners: OwnBanner[] = [
      { text: 'WARNING\n\nThis message came from {{sender}},\noutside.' },
    ];
    const text = '> WARNING\n>\n> This message came from\n> a@b.example, outside.\n>\n> Hi\n';

    expect(cleanText(text, banners)).toEqual({ text: '> Hi\n', removed: 1 });
  });

  it('keeps the paragraphs of a banner that a quote depth change splits', () => {
    const banners: OwnBanner[] = [{ text: 'WARNING\n\nThis message came from outside.' }];
    const text = '> WARNING\n>\n>> This message came from outside.\n';

    expect(cleanText(text, banners).removed).toBe(0);
  });

  it('takes the line ending before a banner that ends the text without one', () => {
    expect(cleanText(`Reply\r\n\r\n${BANNER_TEXT}`, OWN_BANNERS)).toEqual({
      text: 'Reply\r\n',
      removed: 1,
    });
  });

  it('splits lines on the line ending of the text, or on the one it is given', () => {
    const text = `${BANNER_TEXT}\n\nHello\r\n`;

    expect(cleanText(text, OWN_BANNERS)).toEqual({ text: 'Hello\r\n', removed: 1 });
    expect(cleanText(text, OWN_BANNERS, '\r\n').removed).toBe(0);
  });

  it('keeps a footer paragraph', () => {
    const text = `Reply\r\n\r\n> Hello\r\n>\r\n> This message may contain confidential information.\r\n`;

    expect(cleanText(text, OWN_BANNERS)).toEqual({ text, removed: 0 });
  });
});

describe('untagSubjectLine', () => {
  const word = (text: string, encoding: 'B' | 'Q') => libmime.encodeWord(text, encoding);
  const shown = (line: string | undefined) =>
    libmime.decodeWords((line ?? '').slice('Subject:'.length).replace(/\r\n(?=[ \t])/g, ''));

  it.each([
    ['Subject: [EXTERNAL] Quarterly figures', 'Subject: Quarterly figures'],
    ['Subject: RE: [EXTERNAL] Quarterly figures', 'Subject: RE: Quarterly figures'],
    ['Subject: AW: WG: [EXTERNAL] Angebot', 'Subject: AW: WG: Angebot'],
    ['Subject: Antw: SV: VS: TR: [EXTERNAL] x', 'Subject: Antw: SV: VS: TR: x'],
    ['Subject: RE[2]: Fwd: [EXTERNAL] counted', 'Subject: RE[2]: Fwd: counted'],
    ['subject: re:[EXTERNAL] lower case', 'subject: re:lower case'],
    ['Subject: RE: [EXTERNAL] RE: [EXTERNAL] twice', 'Subject: RE: RE: twice'],
    ['Subject: RE: [EXTERNAL]', 'Subject: RE:'],
    ['Subject: [EXTERNAL]', 'Subject:'],
    // The engine folds after the tag when the line gets long.
    ['Subject: [EXTERNAL]\r\n Quarterly figures', 'Subject: Quarterly figures'],
    ['Subject: RE:\r\n [EXTERNAL] folded', 'Subject: RE:\r\n folded'],
    [
      'Subject: AW: [EXTERNAL] =?utf-8?Q?Gr=C3=BC=C3=9Fe?=',
      'Subject: AW: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=',
    ],
  ])('cleans %j', (line, cleaned) => {
    expect(untagSubjectLine(line, OWN_TAGS)).toBe(cleaned);
  });

  it.each([
    ['a tag in the middle', 'Subject: Meeting notes [EXTERNAL] review'],
    ['a tag after other words', 'Subject: RE: Notes [EXTERNAL]'],
    ['a tag glued to a word', 'Subject: RE: [EXTERNAL]notes'],
    // mutt's default forward_format "[%a: %s]" puts the address first: the tag stays.
    ['mutt’s default forward format', "Subject: [pat.o'neil@supplier.example: [EXTERNAL] Figures]"],
    ['no tag', 'Subject: RE: Quarterly figures'],
    ['an encoded tag further in', `Subject: ${word('Notiz [EXTERNAL] Grüße', 'Q')}`],
    ['no colon', 'Subject [EXTERNAL] x'],
  ])('leaves %s alone', (_case, line) => {
    expect(untagSubjectLine(line, OWN_TAGS)).toBeUndefined();
  });

  it('decodes and re-encodes an encoded word that holds the tag (Outlook, Latin-1)', () => {
    const line = 'Subject: =?iso-8859-1?Q?AW:_[EXTERNAL]_Quartalszahlen_f=FCr_Q3?=';

    const cleaned = untagSubjectLine(line, OWN_TAGS);

    expect(cleaned).toMatch(/^Subject: =\?UTF-8\?Q\?/);
    expect(shown(cleaned)).toBe(' AW: Quartalszahlen für Q3');
  });

  it('re-encodes only the word that held the tag (Gmail, base64)', () => {
    const rest = word(' und Q4', 'B');
    const line = `Subject: Re: ${word('[EXTERNAL] Quartalszahlen für Q3', 'B')}\r\n ${rest}`;

    const cleaned = untagSubjectLine(line, OWN_TAGS);

    expect(cleaned).toMatch(/^Subject: Re: =\?UTF-8\?B\?/);
    expect(cleaned?.endsWith(`\r\n ${rest}`)).toBe(true);
    expect(shown(cleaned)).toBe(' Re: Quartalszahlen für Q3 und Q4');
  });

  it('drops an encoded tag word and the white space after it, as the engine writes them', () => {
    const rest = word('Grüße', 'B');
    const line = `Subject: ${libmime.encodeWord('[外部] ', 'Q')} ${rest}`;

    expect(untagSubjectLine(line, ['[外部]'])).toBe(`Subject: ${rest}`);
  });

  it('keeps raw 8-bit text byte for byte', () => {
    const raw = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

    expect(untagSubjectLine(raw('Subject: AW: [外部] Grüße'), ['[外部]'])).toBe(
      raw('Subject: AW: Grüße'),
    );
  });

  it('matches a placeholder in the tag against any one-line value', () => {
    const tags = ['[EXT {{sender}}]'];

    expect(untagSubjectLine('Subject: RE: [EXT a@b.example] Hi', tags)).toBe('Subject: RE: Hi');
  });

  it('ignores an empty tag', () => {
    expect(untagSubjectLine('Subject: RE: Hi', ['', ' '])).toBeUndefined();
  });
});

describe('clean replies in the engine, on bytes its charset cannot give back', () => {
  const rules = (): PlannedRewrite => ({
    marker: { header: 'X-Mail-Rewrite-Id', value: 'run-1' },
    cleanReplies: { subjectTags: OWN_TAGS, banners: OWN_BANNERS },
  });
  const reply = (tail: Buffer) =>
    withTopHeaders(
      TOP,
      part(
        ['Content-Type: text/plain; charset=windows-1252'],
        Buffer.concat([
          Buffer.from(`Thanks!\r\n\r\n> ${BANNER_TEXT}\r\n>\r\n> Hi Alex,\r\n`),
          tail,
        ]),
      ),
    );

  it('takes the banner out of a windows-1252 reply, every other byte kept', async () => {
    const { report } = await rewriteBuffer(reply(Buffer.from('> Pat\r\n')), rules());
    expect(report.parts).toMatchObject([{ change: 'rewritten', removed: 1 }]);
  });

  it('leaves a part alone whose bytes would not survive the charset round trip', async () => {
    // 0x81 has no character in windows-1252: decoding and encoding again would change it.
    const input = reply(Buffer.from([0x3e, 0x20, 0x81, 0x0d, 0x0a]));
    const { output, report } = await rewriteBuffer(input, rules());
    expect(report.parts).toEqual([]);
    const body = (message: Buffer) => message.subarray(message.indexOf('\r\n\r\n'));
    expect(body(output).equals(body(input))).toBe(true);
  });
});
