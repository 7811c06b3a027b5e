/**
 * Replies and forwards of an inbound message that this template tagged and bannered, as mail
 * clients write them when a user answers it. Each body is built twice, with the banner and
 * without it, so that a test can check that taking the banner out leaves exactly the reply the
 * client would have written without it.
 *
 * The markup follows what each client is known to write (structure, class names, quoting,
 * wrapping); it is written here, not copied from anyone's mail. What a client does to the banner
 * itself (which attributes it keeps, how it re-serialises the table) is modelled from how it
 * treats other quoted HTML, not observed on this banner: see the note on each client.
 */
import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { decide } from '../../lambda/policy/decide';
import type { OwnBanner } from '../../lambda/rewrite/clean-reply';
import { htmlMarkOpening, markToken } from '../../lambda/rewrite/html-marks';

const POLICY = bundledPolicy();

/** The banners of the repository's policy, as it writes them: what clean replies look for. */
export const OWN_BANNERS: OwnBanner[] = POLICY.rules.flatMap((rule) =>
  rule.actions.banner ? [rule.actions.banner] : [],
);
/** The subject tags of the repository's policy. */
export const OWN_TAGS: string[] = POLICY.rules.flatMap((rule) =>
  rule.actions.subjectTag ? [rule.actions.subjectTag] : [],
);

const PARTNER = { name: "Pat O'Neil", address: "pat.o'neil@supplier.example" };
const USER = 'Alex User <alex@corp.example>';

/** The banner and tag the policy gave the partner's message on its way in. */
function delivered(): { text: string; html: string; tag: string } {
  const decision = decide(
    POLICY,
    {
      summaryVersion: '2018-10-10',
      envelope: {
        mailFrom: { address: PARTNER.address },
        recipients: [{ address: 'alex@corp.example' }],
      },
      subject: 'Quarterly figures',
      messageId: 'c0ffee00-1b2e-4a5f-9c7d-0e1f2a3b4c5d',
      invocationId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      flowDirection: 'INBOUND',
      truncated: false,
    },
    {
      direction: 'INBOUND',
      envelopeSender: PARTNER.address,
      recipients: ['alex@corp.example'],
      message: { from: PARTNER.address, subject: 'Quarterly figures', header: () => [] },
    },
    { sender: PARTNER.address, recipientDomain: 'corp.example', date: '' },
  );
  const { banner, subjectTag } = decision.content;
  if (!banner?.text || !banner.html || !subjectTag)
    throw new Error('policy/policy.json gives external mail no banner or tag: update the fixtures');
  return { text: banner.text, html: banner.html, tag: subjectTag };
}

const DELIVERED = delivered();
export const TAG = DELIVERED.tag;
/** The text banner as the partner's message carried it, placeholders filled in. */
export const BANNER_TEXT = DELIVERED.text;
// The HTML banner's words: its bold lead ("CAUTION:") and the rest, for clients that rewrite it.
const LEAD = BANNER_TEXT.slice(0, BANNER_TEXT.indexOf(' '));
const REST = BANNER_TEXT.slice(LEAD.length);
/** Words of the banner that no reply shows once it is clean. */
export const BANNER_WORDS = 'Do not click links or open attachments';

/** The wrapper the engine opens around an HTML banner or footer, with a per-message token. */
export const markOpening = (role: 'banner' | 'footer'): string =>
  htmlMarkOpening(role, markToken('0f1e2d3c4b5a69788796a5b4c3d2e1f0'));
/** The wrapper of mail bannered before marks had a token, still in mailboxes. */
const OLD_OPENING = '<div data-mail-rewrite="banner">';

/** The HTML banner as the engine inserts it, in the wrapper of now (`new`) or of before. */
export function insertedBanner(format: 'new' | 'old', html = DELIVERED.html): string {
  const opening = format === 'new' ? markOpening('banner') : OLD_OPENING;
  return `${opening}${html.replace(/\r?\n/g, '\r\n')}</div>`;
}

const REPLY_NOTE = 'Thanks Pat, the numbers look right to me.';
const FORWARD_NOTE = 'Jordan, see the figures from Pat below.';
const PARTNER_WORDS = 'Please find the Q3 figures attached. Revenue is up 4% on Q2.';

export type Client =
  | 'Outlook desktop'
  | 'Outlook on the web'
  | 'Gmail'
  | 'Apple Mail'
  | 'Thunderbird'
  | 'Plain text';

/** One body of a reply or forward, with and without the banner(s) it quotes. */
export interface QuotedBody {
  withBanner: string;
  withoutBanner: string;
  /** How many banners the quote holds. */
  banners: number;
  /** What the clean body must still show: the user's words, the partner's, the quoting. */
  keeps: string[];
  /**
   * How often the tag still shows in the clean body: the client's quoted header block repeats
   * the original subject (`Subject: [EXTERNAL] ...`), and nothing here takes it out.
   */
  tagsLeft: number;
}

export interface ReplyFixture {
  client: Client;
  kind: 'reply' | 'forward' | 'reply to a reply';
  subject: { line: string; cleaned: string };
  html?: QuotedBody;
  text?: QuotedBody;
}

const crlf = (...lines: string[]): string => lines.join('\r\n');

/** A reply or forward whose subject is the tagged original's behind the client's prefix. */
function fixture(
  client: Client,
  kind: ReplyFixture['kind'],
  prefix: string,
  bodies: Pick<ReplyFixture, 'html' | 'text'>,
): ReplyFixture {
  return {
    client,
    kind,
    subject: {
      line: `Subject: ${prefix} ${TAG} Quarterly figures`,
      cleaned: `Subject: ${prefix} Quarterly figures`,
    },
    ...bodies,
  };
}

/** Greedy word wrap: lines of at most `width` characters (a longer word stands alone). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** RFC 3676 (format=flowed): soft line breaks keep a trailing space. */
const flowed = (text: string, width: number): string[] =>
  wrap(text, width).map((line, i, all) => (i < all.length - 1 ? `${line} ` : line));

/** Quotes lines: `prefix` before each, `blank` for empty ones. */
const quoted = (lines: string[], prefix: string, blank = prefix.trimEnd()): string[] =>
  lines.map((line) => (line === '' ? blank : `${prefix}${line}`));

/**
 * Exchange's HTML writer breaks long source lines before a space, which starts the next line;
 * inside text that is only white space, so the shown text does not change.
 */
function exchangeWrapped(line: string, width = 256): string {
  return wrap(line, width).join('\r\n ');
}

/** Builds a body with and without its banner slots filled. */
function body(
  build: (banner: (slot: string) => string) => string,
  rest: Omit<QuotedBody, 'withBanner' | 'withoutBanner' | 'banners'>,
): QuotedBody {
  let banners = 0;
  const withBanner = build((slot) => {
    banners++;
    return slot;
  });
  return { withBanner, withoutBanner: build(() => ''), banners, ...rest };
}

// ---------------------------------------------------------------------------------------------
// Outlook for Windows (classic): Word writes the whole message. Attributes it does not know are
// dropped and CSS is turned into Word's (pt units, MsoNormal paragraphs, <o:p>), tables get
// class MsoNormalTable and <tbody>. The quote is the original's content after a border-top
// header block, with no <blockquote>. Its text/plain alternative is Word's rendering: one line
// per paragraph (MsoNormal has no margins), NBSP lines for empty paragraphs, no `>` quoting.

const WORD_HEAD = crlf(
  '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">',
  '<head>',
  '<meta http-equiv="Content-Type" content="text/html; charset=us-ascii">',
  '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">',
  '<style><!--',
  '/* Font Definitions */',
  '@font-face',
  '\t{font-family:"Segoe UI";',
  '\tpanose-1:2 11 5 2 4 2 4 2 2 3;}',
  '/* Style Definitions */',
  'p.MsoNormal, li.MsoNormal, div.MsoNormal',
  '\t{margin:0cm;',
  '\tfont-size:11.0pt;',
  '\tfont-family:"Aptos",sans-serif;}',
  'span.EmailStyle19',
  '\t{mso-style-type:personal-reply;',
  '\tfont-family:"Aptos",sans-serif;',
  '\tcolor:windowtext;}',
  '.MsoChpDefault',
  '\t{mso-style-type:export-only;',
  '\tfont-size:10.0pt;}',
  '@page WordSection1',
  '\t{size:612.0pt 792.0pt;',
  '\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}',
  'div.WordSection1',
  '\t{page:WordSection1;}',
  '--></style><!--[if gte mso 9]><xml>',
  '<o:shapedefaults v:ext="edit" spidmax="1026" />',
  '</xml><![endif]--><!--[if gte mso 9]><xml>',
  '<o:shapelayout v:ext="edit">',
  '<o:idmap v:ext="edit" data="1" />',
  '</o:shapelayout></xml><![endif]-->',
  '</head>',
  '<body lang="EN-US" link="#467886" vlink="#96607D" style="word-wrap:break-word">',
  '<div class="WordSection1">',
);

const WORD_SPAN =
  'style="font-size:10.0pt;font-family:&quot;Segoe UI&quot;,sans-serif;color:#323130"';
const WORD_BANNER = crlf(
  '<div>',
  '<table class="MsoNormalTable" border="0" cellspacing="0" cellpadding="0" width="100%" style="width:100.0%;border-collapse:collapse">',
  '<tbody>',
  '<tr>',
  '<td style="border:none;border-left:solid #C50F1F 3.0pt;background:#FFF4CE;padding:6.0pt 9.0pt 6.0pt 9.0pt">',
  exchangeWrapped(
    `<p class="MsoNormal"><b><span ${WORD_SPAN}>${LEAD}</span></b><span ${WORD_SPAN}>${REST}<o:p></o:p></span></p>`,
  ),
  '</td>',
  '</tr>',
  '</tbody>',
  '</table>',
  '</div>',
);

const wordParagraph = (text: string): string =>
  text === ''
    ? '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
    : `<p class="MsoNormal">${text}<o:p></o:p></p>`;

function outlookDesktop(kind: 'reply' | 'forward'): ReplyFixture {
  const note = kind === 'reply' ? REPLY_NOTE : FORWARD_NOTE;
  const html = body(
    (banner) =>
      crlf(
        WORD_HEAD,
        wordParagraph(note),
        wordParagraph(''),
        wordParagraph('Alex'),
        wordParagraph(''),
        '<div>',
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">',
        '<p class="MsoNormal"><b><span lang="EN-GB">From:</span></b><span lang="EN-GB"> Pat O\'Neil &lt;pat.o\'neil@supplier.example&gt;',
        '<br>',
        '<b>Sent:</b> Tuesday, November 25, 2025 10:14 AM<br>',
        '<b>To:</b> Alex User &lt;alex@corp.example&gt;<br>',
        `<b>Subject:</b> ${TAG} Quarterly figures<o:p></o:p></span></p>`,
        '</div>',
        '</div>',
        wordParagraph(''),
        banner(WORD_BANNER),
        ...['Hi Alex,', '', PARTNER_WORDS, '', 'Regards,', 'Pat'].map((line) =>
          crlf('<div>', wordParagraph(line), '</div>'),
        ),
        '</div>',
        '</body>',
        '</html>',
        '',
      ),
    {
      keeps: [note, PARTNER_WORDS, 'border-top:solid #E1E1E1', 'class="WordSection1"'],
      tagsLeft: 1,
    },
  );
  const text = body(
    (banner) =>
      crlf(
        note,
        '\u00a0',
        'Alex',
        '\u00a0',
        `From: Pat O'Neil <pat.o'neil@supplier.example> `,
        'Sent: Tuesday, November 25, 2025 10:14 AM',
        `To: ${USER}`,
        `Subject: ${TAG} Quarterly figures`,
        '\u00a0',
        // Word writes the banner's table cell as one line, with the next paragraph right after.
        `${banner(`${BANNER_TEXT}\r\n`)}Hi Alex,`,
        '\u00a0',
        PARTNER_WORDS,
        '\u00a0',
        'Regards,',
        'Pat',
        '',
      ),
    { keeps: [note, PARTNER_WORDS, 'Sent: Tuesday'], tagsLeft: 1 },
  );
  const prefix = kind === 'reply' ? 'RE:' : 'FW:';
  return fixture('Outlook desktop', kind, prefix, { html, text });
}

// ---------------------------------------------------------------------------------------------
// Outlook on the web (and the new Outlook for Windows): the user's text in divs with class
// elementToProof, then appendonsend, an <hr> and the divRplyFwdMsg header block, then the
// original in a <div>, its ids and classes prefixed `x_` and unknown attributes dropped. The
// text/plain alternative separates the header block with a line of 32 underscores.

const OWA_FONT =
  'style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"';
const OWA_BANNER = crlf(
  '<div style="display:block; visibility:visible">',
  '<table width="100%" style="border-collapse:collapse">',
  '<tbody>',
  '<tr>',
  '<td style="background:#fff4ce; border-left:4px solid #c50f1f; padding:8px 12px; font-family:Segoe UI,Arial,sans-serif; font-size:13px; color:#323130">',
  `<b>${LEAD}</b>${REST}`,
  '</td>',
  '</tr>',
  '</tbody>',
  '</table>',
  '</div>',
);

function outlookWeb(kind: 'reply' | 'forward'): ReplyFixture {
  const note = kind === 'reply' ? REPLY_NOTE : FORWARD_NOTE;
  const html = body(
    (banner) =>
      crlf(
        '<html>',
        '<head>',
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>',
        '</head>',
        '<body dir="ltr">',
        `<div class="elementToProof" ${OWA_FONT}>`,
        `${note}</div>`,
        `<div class="elementToProof" ${OWA_FONT}>`,
        '<br>',
        '</div>',
        `<div class="elementToProof" ${OWA_FONT}>`,
        'Alex</div>',
        '<div id="appendonsend"></div>',
        '<hr style="display:inline-block;width:98%" tabindex="-1">',
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Pat O\'Neil &lt;pat.o\'neil@supplier.example&gt;<br>',
        '<b>Sent:</b> Tuesday, November 25, 2025 10:14<br>',
        '<b>To:</b> Alex User &lt;alex@corp.example&gt;<br>',
        `<b>Subject:</b> ${TAG} Quarterly figures</font>`,
        '<div>&nbsp;</div>',
        '</div>',
        '<div>',
        banner(OWA_BANNER),
        '<div dir="ltr">Hi Alex,',
        '<div><br>',
        '</div>',
        `<div>${PARTNER_WORDS}</div>`,
        '<div><br>',
        '</div>',
        '<div>Regards,</div>',
        '<div>Pat</div>',
        '<div>',
        '<div dir="ltr" class="x_gmail_signature">Pat O\'Neil | Supplier Ltd</div>',
        '</div>',
        '</div>',
        '</div>',
        '</body>',
        '</html>',
        '',
      ),
    {
      keeps: [note, PARTNER_WORDS, 'id="divRplyFwdMsg"', 'class="x_gmail_signature"'],
      tagsLeft: 1,
    },
  );
  const text = body(
    (banner) =>
      crlf(
        note,
        '',
        'Alex',
        '_'.repeat(32),
        `From: Pat O'Neil <pat.o'neil@supplier.example>`,
        'Sent: Tuesday, November 25, 2025 10:14',
        `To: ${USER}`,
        `Subject: ${TAG} Quarterly figures`,
        '',
        `${banner(`${BANNER_TEXT}\r\n\r\n`)}Hi Alex,`,
        '',
        PARTNER_WORDS,
        '',
        'Regards,',
        'Pat',
        "Pat O'Neil | Supplier Ltd",
        '',
      ),
    { keeps: [note, PARTNER_WORDS, '_'.repeat(32)], tagsLeft: 1 },
  );
  const prefix = kind === 'reply' ? 'RE:' : 'FW:';
  return fixture('Outlook on the web', kind, prefix, { html, text });
}

// ---------------------------------------------------------------------------------------------
// Gmail: the quote is div.gmail_quote with a gmail_attr line and a blockquote.gmail_quote (a
// forward: a "Forwarded message" header block and no blockquote). Gmail's sanitizer drops
// attributes it does not know (data-* and role among them), turns colours into rgb(), writes
// &#39; for apostrophes and renames the original's classes `m_<number>...`. Its text/plain
// alternative wraps at 78 characters; after a table it starts the next block on the next line.

const GMAIL_QUOTE_STYLE =
  'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"';
const gmailEscaped = (text: string): string => text.replace(/'/g, '&#39;');
const GMAIL_BANNER = crlf(
  '<div style="display:block;visibility:visible"><table width="100%" style="border-collapse:collapse"><tbody><tr>',
  '<td style="background:rgb(255,244,206);border-left:4px solid rgb(197,15,31);padding:8px 12px;font-family:&quot;Segoe UI&quot;,Arial,sans-serif;font-size:13px;color:rgb(50,49,48)">',
  `<b>${LEAD}</b>${gmailEscaped(REST)}`,
  '</td></tr></tbody></table></div>',
);
const GMAIL_ORIGINAL = `<div dir="ltr">Hi Alex,<div><br></div><div>${PARTNER_WORDS}</div><div><br></div><div>Regards,</div><div>Pat</div><div><div dir="ltr" class="m_-4181283849175640521gmail_signature">Pat O&#39;Neil | Supplier Ltd</div></div></div>`;
const GMAIL_ATTR = `<div dir="ltr" class="gmail_attr">On Tue, Nov 25, 2025 at 10:14 AM Pat O&#39;Neil &lt;<a href="mailto:pat.o&#39;neil@supplier.example">pat.o&#39;neil@supplier.example</a>&gt; wrote:<br></div>`;
const GMAIL_ORIGINAL_TEXT = [
  'Hi Alex,',
  '',
  PARTNER_WORDS,
  '',
  'Regards,',
  'Pat',
  '--',
  "Pat O'Neil | Supplier Ltd",
];
const gmailBannerText = (width: number): string => crlf(...wrap(BANNER_TEXT, width), '');

function gmail(kind: 'reply' | 'forward'): ReplyFixture {
  const note = kind === 'reply' ? REPLY_NOTE : FORWARD_NOTE;
  const quote =
    kind === 'reply'
      ? (banner: (slot: string) => string) =>
          `${GMAIL_ATTR}<blockquote class="gmail_quote" ${GMAIL_QUOTE_STYLE}><div>${banner(GMAIL_BANNER)}${GMAIL_ORIGINAL}</div></blockquote>`
      : (banner: (slot: string) => string) =>
          `<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Pat O&#39;Neil</strong> <span dir="auto">&lt;<a href="mailto:pat.o&#39;neil@supplier.example">pat.o&#39;neil@supplier.example</a>&gt;</span><br>Date: Tue, Nov 25, 2025 at 10:14 AM<br>Subject: ${TAG} Quarterly figures<br>To: Alex User &lt;<a href="mailto:alex@corp.example">alex@corp.example</a>&gt;<br></div><br><br><div>${banner(GMAIL_BANNER)}${GMAIL_ORIGINAL}</div>`;
  const html = body(
    (banner) =>
      `<div dir="ltr">${note}<div><br></div><div>Alex</div></div><br><div class="gmail_quote gmail_quote_container">${quote(banner)}</div>\r\n`,
    {
      keeps: [note, PARTNER_WORDS, 'class="gmail_quote gmail_quote_container"', 'gmail_signature'],
      tagsLeft: kind === 'reply' ? 0 : 1,
    },
  );
  const text = body(
    (banner) =>
      kind === 'reply'
        ? crlf(
            note,
            '',
            'Alex',
            '',
            "On Tue, Nov 25, 2025 at 10:14 AM Pat O'Neil <pat.o'neil@supplier.example>",
            'wrote:',
            '',
            `${banner(crlf(...quoted(wrap(BANNER_TEXT, 76), '> '), ''))}${crlf(...quoted(GMAIL_ORIGINAL_TEXT, '> '), '')}`,
          )
        : crlf(
            note,
            '',
            '---------- Forwarded message ---------',
            `From: Pat O'Neil <pat.o'neil@supplier.example>`,
            'Date: Tue, Nov 25, 2025 at 10:14 AM',
            `Subject: ${TAG} Quarterly figures`,
            `To: ${USER}`,
            '',
            '',
            `${banner(gmailBannerText(78))}${crlf(...GMAIL_ORIGINAL_TEXT, '')}`,
          ),
    {
      keeps: [note, PARTNER_WORDS, kind === 'reply' ? '> Hi Alex,' : 'Forwarded message'],
      tagsLeft: kind === 'reply' ? 0 : 1,
    },
  );
  const prefix = kind === 'reply' ? 'Re:' : 'Fwd:';
  return fixture('Gmail', kind, prefix, { html, text });
}

// ---------------------------------------------------------------------------------------------
// Apple Mail: WebKit keeps the original's markup, attributes included, inside
// <blockquote type="cite"> (a forward: "Begin forwarded message:" and the headers inside it).
// Re-serialising the DOM inserts <tbody> and writes &#39; as a plain apostrophe. Its text/plain
// alternative quotes the blockquote with "> ", attribution included, and does not wrap.

const APPLE_HEAD = crlf(
  '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">',
);
const webkitSerialized = (html: string): string =>
  html
    .replace('<tr>', '<tbody><tr>')
    .replace('</tr></table>', '</tr></tbody></table>')
    .replace(/&#39;/g, "'");
const APPLE_ORIGINAL = `<div dir="ltr">Hi Alex,<div><br></div><div>${PARTNER_WORDS}</div><div><br></div><div>Regards,</div><div>Pat</div></div>`;
const APPLE_HEADER_STYLE =
  'style="margin-top: 0px; margin-right: 0px; margin-bottom: 0px; margin-left: 0px;"';
const APPLE_FONT =
  'style="font-family: -webkit-system-font, Helvetica Neue, Helvetica, sans-serif; color:rgba(0, 0, 0, 1.0);"';
const appleHeader = (name: string, value: string): string =>
  `<div ${APPLE_HEADER_STYLE}><span ${APPLE_FONT}><b>${name}: </b></span><span ${APPLE_FONT}>${value}<br></span></div>`;

function appleMail(kind: 'reply' | 'forward', banner = insertedBanner('new')): ReplyFixture {
  const note = kind === 'reply' ? REPLY_NOTE : FORWARD_NOTE;
  const header =
    kind === 'reply'
      ? `<div>On 25 Nov 2025, at 10:14, Pat O'Neil &lt;pat.o'neil@supplier.example&gt; wrote:</div><br class="Apple-interchange-newline">`
      : `<div>Begin forwarded message:</div><br class="Apple-interchange-newline">${[
          appleHeader(
            'From',
            `Pat O'Neil &lt;<a href="mailto:pat.o'neil@supplier.example">pat.o'neil@supplier.example</a>&gt;`,
          ),
          appleHeader('Subject', `<b>${TAG} Quarterly figures</b>`),
          appleHeader('Date', '25 November 2025 at 10:14:03 CET'),
          appleHeader(
            'To',
            'Alex User &lt;<a href="mailto:alex@corp.example">alex@corp.example</a>&gt;',
          ),
        ].join('')}<br>`;
  const html = body(
    (slot) =>
      `${APPLE_HEAD}${note}<div><br></div><div>Alex</div><div><br id="lineBreakAtBeginningOfSignature"><blockquote type="cite">${header}<div>${slot(webkitSerialized(banner))}${APPLE_ORIGINAL}</div></blockquote></div><br></body></html>\r\n`,
    {
      keeps: [note, PARTNER_WORDS, '<blockquote type="cite">'],
      tagsLeft: kind === 'reply' ? 0 : 1,
    },
  );
  const attribution =
    kind === 'reply'
      ? ["On 25 Nov 2025, at 10:14, Pat O'Neil <pat.o'neil@supplier.example> wrote:"]
      : [
          'Begin forwarded message:',
          '',
          `From: Pat O'Neil <pat.o'neil@supplier.example>`,
          `Subject: ${TAG} Quarterly figures`,
          'Date: 25 November 2025 at 10:14:03 CET',
          `To: ${USER}`,
        ];
  const text = body(
    (slot) =>
      crlf(
        note,
        '',
        'Alex',
        '',
        ...quoted([...attribution, ''], '> ', '> '),
        `${slot(crlf(`> ${BANNER_TEXT}`, '> ', ''))}${crlf(...quoted(['Hi Alex,', '', PARTNER_WORDS, '', 'Regards,', 'Pat'], '> ', '> '), '')}`,
      ),
    { keeps: [note, PARTNER_WORDS, '> Hi Alex,'], tagsLeft: kind === 'reply' ? 0 : 1 },
  );
  const prefix = kind === 'reply' ? 'Re:' : 'Fwd:';
  return fixture('Apple Mail', kind, prefix, { html, text });
}

// ---------------------------------------------------------------------------------------------
// Thunderbird: Gecko keeps the original's markup and attributes inside
// <blockquote type="cite" cite="mid:..."> after a div.moz-cite-prefix (a forward: a
// moz-forward-container with a moz-email-headers-table), and pretty-prints the source:
// indented, long tags and text wrapped. Its plain text is format=flowed, wrapped at 72
// characters (soft breaks end in a space), quoted with ">".

/** Gecko's pretty-printed form of the banner, at an indentation, with the new or old mark. */
function geckoBanner(format: 'new' | 'old', indent: string): string {
  // Gecko puts an attribute that does not fit on the line on a line of its own.
  const open =
    format === 'new'
      ? markOpening('banner').replace(' style=', '\r\n  style=').split('\r\n')
      : [OLD_OPENING];
  const words = wrap(`<b>${LEAD}</b>${REST}`, 72 - indent.length - 10);
  return [
    ...open,
    '  <table role="presentation" style="border-collapse:collapse"',
    '    width="100%">',
    '    <tbody>',
    '      <tr>',
    '        <td',
    'style="background:#fff4ce;border-left:4px solid #c50f1f;padding:8px 12px;font-family:Segoe UI,Arial,sans-serif;font-size:13px;color:#323130">',
    ...words.map((line) => `          ${line}`),
    '        </td>',
    '      </tr>',
    '    </tbody>',
    '  </table>',
    '</div>',
  ]
    .map((line, i) => (i === 0 || line.startsWith('style=') ? line : `${indent}${line}`))
    .join('\r\n');
}

const geckoOriginal = (indent: string): string =>
  [
    '<div dir="ltr">Hi Alex,',
    '  <div><br>',
    '  </div>',
    `  <div>${PARTNER_WORDS}</div>`,
    '  <div><br>',
    '  </div>',
    '  <div>Regards,</div>',
    '  <div>Pat</div>',
    '</div>',
  ]
    .map((line) => `${indent}${line}`)
    .join('\r\n');

const TB_ORIGINAL_TEXT = ['Hi Alex,', '', PARTNER_WORDS, '', 'Regards,', 'Pat'];

function thunderbird(kind: 'reply' | 'forward'): ReplyFixture {
  const note = kind === 'reply' ? REPLY_NOTE : FORWARD_NOTE;
  // Mail already in mailboxes carries the old mark: the forward quotes such a message.
  const mark = kind === 'reply' ? 'new' : 'old';
  const head = crlf(
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    '    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">',
    '  </head>',
    '  <body>',
    `    <p>${note}</p>`,
    '    <p>Alex<br>',
    '    </p>',
  );
  const html = body(
    (banner) =>
      kind === 'reply'
        ? crlf(
            head,
            '    <div class="moz-cite-prefix">On 25/11/2025 10:14, Pat O\'Neil wrote:<br>',
            '    </div>',
            '    <blockquote type="cite"',
            '      cite="mid:CAF1x7q0Zk3m+42@mail.supplier.example">',
            '      <meta http-equiv="content-type" content="text/html; charset=UTF-8">',
            `      ${banner(geckoBanner(mark, '      '))}`,
            geckoOriginal('      '),
            '    </blockquote>',
            '  </body>',
            '</html>',
            '',
          )
        : crlf(
            head,
            '    <div class="moz-forward-container"><br>',
            '      <br>',
            '      -------- Forwarded Message --------',
            '      <table class="moz-email-headers-table" cellspacing="0"',
            '        cellpadding="0" border="0">',
            '        <tbody>',
            '          <tr>',
            '            <th valign="BASELINE" nowrap="nowrap" align="RIGHT">Subject:',
            '            </th>',
            `            <td>${TAG} Quarterly figures</td>`,
            '          </tr>',
            '          <tr>',
            '            <th valign="BASELINE" nowrap="nowrap" align="RIGHT">Date: </th>',
            '            <td>Tue, 25 Nov 2025 10:14:03 +0000</td>',
            '          </tr>',
            '          <tr>',
            '            <th valign="BASELINE" nowrap="nowrap" align="RIGHT">From: </th>',
            '            <td>Pat O\'Neil <a class="moz-txt-link-rfc2396E" href="mailto:pat.o\'neil@supplier.example">&lt;pat.o\'neil@supplier.example&gt;</a></td>',
            '          </tr>',
            '          <tr>',
            '            <th valign="BASELINE" nowrap="nowrap" align="RIGHT">To: </th>',
            '            <td>Alex User <a class="moz-txt-link-rfc2396E" href="mailto:alex@corp.example">&lt;alex@corp.example&gt;</a></td>',
            '          </tr>',
            '        </tbody>',
            '      </table>',
            '      <br>',
            '      <br>',
            '      <meta http-equiv="content-type" content="text/html; charset=UTF-8">',
            `      ${banner(geckoBanner(mark, '      '))}`,
            geckoOriginal('      '),
            '    </div>',
            '  </body>',
            '</html>',
            '',
          ),
    {
      keeps: [
        note,
        PARTNER_WORDS,
        kind === 'reply' ? 'class="moz-cite-prefix"' : 'class="moz-forward-container"',
      ],
      tagsLeft: kind === 'reply' ? 0 : 1,
    },
  );
  const text = body(
    (banner) =>
      kind === 'reply'
        ? crlf(
            note,
            '',
            'Alex',
            '',
            "On 25/11/2025 10:14, Pat O'Neil wrote:",
            `${banner(crlf(...quoted(flowed(BANNER_TEXT, 70), '> '), '>', ''))}${crlf(...quoted(TB_ORIGINAL_TEXT, '> '), '')}`,
          )
        : crlf(
            note,
            '',
            '',
            '-------- Forwarded Message --------',
            `Subject: \t${TAG} Quarterly figures`,
            'Date: \tTue, 25 Nov 2025 10:14:03 +0000',
            `From: \tPat O'Neil <pat.o'neil@supplier.example>`,
            `To: \t${USER}`,
            '',
            '',
            '',
            `${banner(crlf(...flowed(BANNER_TEXT, 72), '', ''))}${crlf(...TB_ORIGINAL_TEXT, '')}`,
          ),
    {
      keeps: [note, PARTNER_WORDS, kind === 'reply' ? '> Hi Alex,' : 'Forwarded Message'],
      tagsLeft: kind === 'reply' ? 0 : 1,
    },
  );
  const prefix = kind === 'reply' ? 'Re:' : 'Fwd:';
  return fixture('Thunderbird', kind, prefix, { html, text });
}

// ---------------------------------------------------------------------------------------------
// Plain text, as mutt and other text clients write it: the text/plain part quoted with "> "
// (nested quotes "> > "), lines kept as they came; a forward in mutt's inline form.

const PLAIN_ORIGINAL = [
  'Hi Alex,',
  '',
  PARTNER_WORDS,
  '',
  'Regards,',
  'Pat',
  '',
  '-- ',
  "Pat O'Neil | Supplier Ltd",
];

function plainText(kind: 'reply' | 'forward'): ReplyFixture {
  const note = kind === 'reply' ? REPLY_NOTE : FORWARD_NOTE;
  const text = body(
    (banner) =>
      kind === 'reply'
        ? crlf(
            note,
            '',
            'Alex',
            '',
            "On Tue, Nov 25, 2025 at 10:14:03AM +0000, Pat O'Neil wrote:",
            `${banner(crlf(`> ${BANNER_TEXT}`, '> ', ''))}${crlf(...quoted(PLAIN_ORIGINAL, '> ', '> '), '')}`,
          )
        : crlf(
            note,
            '',
            `----- Forwarded message from Pat O'Neil <pat.o'neil@supplier.example> -----`,
            '',
            'Date: Tue, 25 Nov 2025 10:14:03 +0000',
            `From: Pat O'Neil <pat.o'neil@supplier.example>`,
            `To: ${USER}`,
            `Subject: ${TAG} Quarterly figures`,
            '',
            `${banner(crlf(BANNER_TEXT, '', ''))}${crlf(...PLAIN_ORIGINAL, '', '----- End forwarded message -----', '')}`,
          ),
    {
      keeps: [note, PARTNER_WORDS, kind === 'reply' ? '> Hi Alex,' : 'Forwarded message from'],
      tagsLeft: kind === 'reply' ? 0 : 1,
    },
  );
  const prefix = kind === 'reply' ? 'Re:' : 'Fwd:';
  return {
    client: 'Plain text',
    kind,
    subject: {
      line: `Subject: ${prefix} ${TAG} Quarterly figures`,
      cleaned: `Subject: ${prefix} Quarterly figures`,
    },
    text,
  };
}

// ---------------------------------------------------------------------------------------------
// Replies to a reply: the partner answered a reply that Alex sent before clean replies existed,
// quoting the first banner; the answer got a second banner on its way in. Alex answers again.

function gmailThread(): ReplyFixture {
  const attr = (who: string, when: string) =>
    `<div dir="ltr" class="gmail_attr">On ${when} ${who} wrote:<br></div>`;
  const partner =
    'Pat O&#39;Neil &lt;<a href="mailto:pat.o&#39;neil@supplier.example">pat.o&#39;neil@supplier.example</a>&gt;';
  const alex = 'Alex User &lt;<a href="mailto:alex@corp.example">alex@corp.example</a>&gt;';
  const blockquote = (inner: string) =>
    `<blockquote class="gmail_quote" ${GMAIL_QUOTE_STYLE}>${inner}</blockquote>`;
  const html = body(
    (banner) =>
      `<div dir="ltr">Great, thanks.</div><br><div class="gmail_quote gmail_quote_container">${attr(partner, 'Wed, Nov 26, 2025 at 9:02 AM')}${blockquote(
        `<div>${banner(GMAIL_BANNER)}<div dir="ltr">Yes, those are final.</div><br><div class="gmail_quote">${attr(alex, 'Tue, Nov 25, 2025 at 4:40 PM')}${blockquote(
          `<div dir="ltr">${REPLY_NOTE}<div><br></div><div>Alex</div></div><br><div class="gmail_quote">${attr(partner, 'Tue, Nov 25, 2025 at 10:14 AM')}${blockquote(
            `<div>${banner(GMAIL_BANNER)}${GMAIL_ORIGINAL}</div>`,
          )}</div>`,
        )}</div></div>`,
      )}</div>\r\n`,
    { keeps: ['Great, thanks.', 'Yes, those are final.', REPLY_NOTE, PARTNER_WORDS], tagsLeft: 0 },
  );
  const text = body(
    (banner) =>
      crlf(
        'Great, thanks.',
        '',
        "On Wed, Nov 26, 2025 at 9:02 AM Pat O'Neil <pat.o'neil@supplier.example>",
        'wrote:',
        '',
        `${banner(crlf(...quoted(wrap(BANNER_TEXT, 76), '> '), ''))}${crlf(
          '> Yes, those are final.',
          '>',
          '> On Tue, Nov 25, 2025 at 4:40 PM Alex User <alex@corp.example> wrote:',
          '>',
          `> > ${REPLY_NOTE}`,
          '> >',
          '> > Alex',
          '> >',
          "> > On Tue, Nov 25, 2025 at 10:14 AM Pat O'Neil <pat.o'neil@supplier.example>",
          '> > wrote:',
          '> >',
          '',
        )}${banner(crlf(...quoted(wrap(BANNER_TEXT, 72), '> > > '), ''))}${crlf(...quoted(GMAIL_ORIGINAL_TEXT, '> > > '), '')}`,
      ),
    {
      keeps: ['Great, thanks.', '> Yes, those are final.', `> > ${REPLY_NOTE}`, '> > > Hi Alex,'],
      tagsLeft: 0,
    },
  );
  return {
    client: 'Gmail',
    kind: 'reply to a reply',
    subject: {
      line: `Subject: Re: ${TAG} Quarterly figures`,
      cleaned: 'Subject: Re: Quarterly figures',
    },
    html,
    text,
  };
}

function thunderbirdThread(): ReplyFixture {
  const html = body(
    (banner) =>
      crlf(
        '<html>',
        '  <body>',
        '    <p>Great, thanks.</p>',
        '    <div class="moz-cite-prefix">On 26/11/2025 09:02, Pat O\'Neil wrote:<br>',
        '    </div>',
        '    <blockquote type="cite" cite="mid:CAF1x7q0Zk3m+57@mail.supplier.example">',
        `      ${banner(geckoBanner('new', '      '))}`,
        '      <div dir="ltr">Yes, those are final.</div>',
        '      <div class="moz-cite-prefix">On 25/11/2025 16:40, Alex User wrote:<br>',
        '      </div>',
        '      <blockquote type="cite" cite="mid:0100019ab1c2d3e4@corp.example">',
        `        <p>${REPLY_NOTE}</p>`,
        '        <div class="moz-cite-prefix">On 25/11/2025 10:14, Pat O\'Neil wrote:<br>',
        '        </div>',
        '        <blockquote type="cite" cite="mid:CAF1x7q0Zk3m+42@mail.supplier.example">',
        `          ${banner(geckoBanner('old', '          '))}`,
        geckoOriginal('          '),
        '        </blockquote>',
        '      </blockquote>',
        '    </blockquote>',
        '  </body>',
        '</html>',
        '',
      ),
    { keeps: ['Great, thanks.', 'Yes, those are final.', REPLY_NOTE, PARTNER_WORDS], tagsLeft: 0 },
  );
  const text = body(
    (banner) =>
      crlf(
        'Great, thanks.',
        '',
        "On 26/11/2025 09:02, Pat O'Neil wrote:",
        `${banner(crlf(...quoted(flowed(BANNER_TEXT, 70), '> '), '>', ''))}${crlf(
          '> Yes, those are final.',
          '>',
          '> On 25/11/2025 16:40, Alex User wrote:',
          `>> ${REPLY_NOTE}`,
          '>>',
          ">> On 25/11/2025 10:14, Pat O'Neil wrote:",
          '',
        )}${banner(crlf(...quoted(flowed(BANNER_TEXT, 68), '>>> '), '>>>', ''))}${crlf(...quoted(TB_ORIGINAL_TEXT, '>>> '), '')}`,
      ),
    {
      keeps: ['Great, thanks.', '> Yes, those are final.', `>> ${REPLY_NOTE}`, '>>> Hi Alex,'],
      tagsLeft: 0,
    },
  );
  return {
    client: 'Thunderbird',
    kind: 'reply to a reply',
    subject: {
      line: `Subject: Re: ${TAG} Quarterly figures`,
      cleaned: 'Subject: Re: Quarterly figures',
    },
    html,
    text,
  };
}

/** Every client, reply and forward, then the replies to replies. */
export const REPLY_FIXTURES: readonly ReplyFixture[] = [
  outlookDesktop('reply'),
  outlookDesktop('forward'),
  outlookWeb('reply'),
  outlookWeb('forward'),
  gmail('reply'),
  gmail('forward'),
  appleMail('reply'),
  appleMail('forward'),
  thunderbird('reply'),
  thunderbird('forward'),
  plainText('reply'),
  plainText('forward'),
  gmailThread(),
  thunderbirdThread(),
];

/** Apple Mail's reply to a message whose banner said something else: the mark is kept. */
export function appleReplyToOlderBanner(html: string): ReplyFixture {
  return appleMail('reply', insertedBanner('new', html));
}
