import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import iconv = require('iconv-lite');

import { htmlMarkOpening, markToken } from '../../lambda/rewrite/html-marks';
import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';
import type { PlannedRewrite } from '../../lambda/rewrite/rewrite-rules';
import { OutputLimits } from '../../lambda/rewrite/stream-guards';
import { base64Lines, multipart, part, TOP, withTopHeaders } from '../helpers/build-mime';
import { rewriteBuffer } from '../helpers/mime';
import {
  allParts,
  decodedText,
  firstBadLine,
  type MimePart,
  parseMime,
  transferDecoded,
} from '../helpers/mime-tree';

const BANNER = { text: 'EXTERNAL SENDER', html: '<p>EXTERNAL SENDER</p>' };
const FOOTER = { text: 'Sent from outside.', html: '<p>Sent from outside.</p>' };
const MARKER = { header: 'X-Mail-Rewrite-Id', value: 'run-1' };
const RULES: PlannedRewrite = {
  subjectTag: '[EXTERNAL]',
  banner: BANNER,
  footer: FOOTER,
  marker: MARKER,
};
const TOKEN = markToken(MARKER.value);
const BANNER_DIV = `${htmlMarkOpening('banner', TOKEN)}<p>EXTERNAL SENDER</p></div>`;
const FOOTER_DIV = `${htmlMarkOpening('footer', TOKEN)}<p>Sent from outside.</p></div>`;

async function rewrite(message: Buffer, rules: PlannedRewrite = RULES) {
  const result = await rewriteBuffer(message, rules);
  expect(firstBadLine(result.output)).toBeUndefined();
  return { ...result, tree: parseMime(result.output), before: parseMime(message) };
}

function at(tree: MimePart, path: string): MimePart {
  const found = allParts(tree).find((p) => p.path === path);
  if (!found) throw new Error(`no part ${path}`);
  return found;
}

function sameBytes(a: MimePart, b: MimePart): boolean {
  return a.head.equals(b.head) && a.body.equals(b.body);
}

const text = (body: Bytes, ...headers: string[]) =>
  part(['Content-Type: text/plain; charset=utf-8', ...headers], body);
const html = (body: Bytes, ...headers: string[]) =>
  part(['Content-Type: text/html; charset=utf-8', ...headers], body);
type Bytes = string | Buffer;
const image = (name: string) =>
  part(
    [
      'Content-Type: image/png',
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: inline; filename="${name}"`,
    ],
    base64Lines(Buffer.alloc(300, 9)),
  );

describe('charsets', () => {
  // [label, text in that language, its bytes]
  const ISO_2022_JP_KONNICHIWA = Buffer.from('1b244224332473244b2441244f1b2842', 'hex');
  const cases: [string, string, Buffer][] = [
    ['utf-8', 'Grüße, ça va? Привет', Buffer.from('Grüße, ça va? Привет', 'utf8')],
    ['iso-8859-1', 'Grüße aus Köln', iconv.encode('Grüße aus Köln', 'iso-8859-1')],
    [
      'windows-1252',
      'Price: 20 € – “quoted”',
      iconv.encode('Price: 20 € – “quoted”', 'windows-1252'),
    ],
    ['iso-2022-jp', 'こんにちは', ISO_2022_JP_KONNICHIWA],
    ['shift_jis', 'こんにちは、世界', iconv.encode('こんにちは、世界', 'shift_jis')],
    ['gb2312', '你好，世界', iconv.encode('你好，世界', 'gb2312')],
    ['gbk', '你好，世界', iconv.encode('你好，世界', 'gbk')],
    ['koi8-r', 'Привет, мир', iconv.encode('Привет, мир', 'koi8-r')],
  ];

  it.each(cases)(
    'keeps %s text and its bytes when the additions are ASCII',
    async (charset, original, body) => {
      const message = withTopHeaders(
        TOP,
        part(
          [`Content-Type: text/plain; charset=${charset}`, 'Content-Transfer-Encoding: 8bit'],
          body,
        ),
      );
      const { tree } = await rewrite(message);
      expect(tree.params.charset).toBe(charset);
      const decoded = decodedText(tree);
      expect(decoded).toBe(`EXTERNAL SENDER\r\n\r\n${original}\r\n\r\nSent from outside.`);
      expect(transferDecoded(tree).includes(body)).toBe(true);
    },
  );

  it.each(cases)(
    'converts %s to UTF-8 when its charset cannot hold the footer',
    async (charset, original, body) => {
      const message = withTopHeaders(
        TOP,
        part(
          [`Content-Type: text/plain; charset=${charset}`, 'Content-Transfer-Encoding: 8bit'],
          body,
        ),
      );
      const footer = { text: 'Ελληνικά και ไทย' };
      const { tree } = await rewrite(message, { ...RULES, banner: undefined, footer });
      if (charset === 'utf-8') expect(tree.params.charset).toBe('utf-8');
      else expect(tree.params.charset).toBe('utf-8');
      expect(decodedText(tree)).toBe(`${original}\r\n\r\nΕλληνικά και ไทย`);
    },
  );

  it('writes a footer the charset can hold in that charset', async () => {
    const body = iconv.encode('Привет', 'koi8-r');
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: text/plain; charset=koi8-r', 'Content-Transfer-Encoding: 8bit'], body),
    );
    const { tree } = await rewrite(message, {
      ...RULES,
      banner: undefined,
      footer: { text: 'Внешний отправитель' },
    });
    expect(tree.params.charset).toBe('koi8-r');
    expect(decodedText(tree)).toBe('Привет\r\n\r\nВнешний отправитель');
  });

  it('treats a part without a charset as US-ASCII and keeps it when the footer is ASCII', async () => {
    const message = withTopHeaders(TOP, part(['Content-Type: text/plain'], 'plain words'));
    const { tree } = await rewrite(message);
    expect(tree.params.charset).toBeUndefined();
    expect(tree.body.toString()).toBe(
      'EXTERNAL SENDER\r\n\r\nplain words\r\n\r\nSent from outside.',
    );
  });

  it('leaves alone undeclared 8-bit text that a non-ASCII footer would turn into mojibake', async () => {
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: text/plain'], Buffer.from('caf\xe9', 'latin1')),
    );
    const { report, tree, before } = await rewrite(message, {
      ...RULES,
      footer: { text: 'Zürich' },
    });
    expect(sameBytes(tree, { ...before, head: tree.head })).toBe(true);
    expect(report.parts[0]).toMatchObject({
      change: 'skipped',
      reason: '8-bit text in a part that declares no charset',
    });
  });

  it('leaves alone a part whose bytes are not valid in its charset, rather than writing mojibake', async () => {
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: text/plain; charset=shift_jis'], Buffer.from([0x82, 0xa0, 0xff, 0xfe])),
    );
    const { report } = await rewrite(message, { ...RULES, footer: { text: 'Ελληνικά' } });
    expect(report.parts[0]).toMatchObject({
      change: 'skipped',
      reason: 'bytes that are not valid shift_jis',
    });
  });

  it('leaves alone a part in a charset nothing here can decode', async () => {
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: text/plain; charset=x-klingon'], 'tlhIngan'),
    );
    const { report } = await rewrite(message);
    expect(report.parts[0]).toMatchObject({
      change: 'skipped',
      reason: 'unknown charset x-klingon',
    });
  });

  it('converts ISO-2022-JP HTML to UTF-8, since its escape sequences hide < and >', async () => {
    const body = Buffer.concat([
      Buffer.from('<html><body>'),
      Buffer.from('1b2442243324731b2842', 'hex'),
      Buffer.from('</body></html>'),
    ]);
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: text/html; charset=iso-2022-jp'], body),
    );
    const { tree } = await rewrite(message);
    expect(tree.params.charset).toBe('utf-8');
    expect(decodedText(tree)).toBe(`<html><body>${BANNER_DIV}こん${FOOTER_DIV}</body></html>`);
  });

  it('updates a <meta> charset when an HTML part is converted', async () => {
    const body = iconv.encode(
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head><body>мир</body></html>',
      'koi8-r',
    );
    const message = withTopHeaders(TOP, part(['Content-Type: text/html; charset=koi8-r'], body));
    const { tree } = await rewrite(message, { ...RULES, footer: { html: '<p>日本</p>' } });
    expect(decodedText(tree)).toContain('content="text/html; charset=utf-8"');
  });
});

describe('transfer encodings', () => {
  const ascii = (encoding: string, body: string) =>
    withTopHeaders(
      TOP,
      part(
        ['Content-Type: text/plain; charset=utf-8', `Content-Transfer-Encoding: ${encoding}`],
        body,
      ),
    );

  it('re-wraps base64 at 76 characters and keeps it base64', async () => {
    const original = 'Line one.\r\nLine two is here.\r\n'.repeat(20);
    const { tree } = await rewrite(ascii('base64', base64Lines(Buffer.from(original))));
    expect(tree.headers.get('content-transfer-encoding')).toEqual(['base64']);
    expect(
      tree.body
        .toString()
        .split('\r\n')
        .every((line) => line.length <= 76),
    ).toBe(true);
    expect(decodedText(tree)).toBe(`EXTERNAL SENDER\r\n\r\n${original}\r\nSent from outside.\r\n`);
  });

  it('keeps quoted-printable', async () => {
    const { tree } = await rewrite(ascii('quoted-printable', 'Gr=C3=BC=C3=9Fe'));
    expect(tree.headers.get('content-transfer-encoding')).toEqual(['quoted-printable']);
    expect(decodedText(tree)).toBe('EXTERNAL SENDER\r\n\r\nGrüße\r\n\r\nSent from outside.');
  });

  it('decodes base64 that pads in the middle (encoded piece by piece) without losing text', async () => {
    const pieces = [
      Buffer.from('Hello').toString('base64'),
      Buffer.from(' world, more text').toString('base64'),
    ];
    const { tree } = await rewrite(ascii('base64', pieces.join('\r\n')));
    expect(decodedText(tree)).toBe(
      'EXTERNAL SENDER\r\n\r\nHello world, more text\r\n\r\nSent from outside.',
    );
  });

  it('escapes a lone LF or CR of quoted-printable text instead of writing it bare', async () => {
    const { tree, output } = await rewrite(ascii('quoted-printable', 'line1=0Aline2=0Dline3'), {
      ...RULES,
      footer: { text: 'Grüße' },
    });
    expect(firstBadLine(output)).toBeUndefined();
    // The additions follow the text's own line breaks (LF here), escaped like them.
    expect(decodedText(tree)).toBe('EXTERNAL SENDER\n\nline1\nline2\rline3\n\nGrüße');
  });

  it.each(['7bit', '8bit', 'binary'])(
    'keeps %s, byte for byte, when the additions are ASCII',
    async (encoding) => {
      const body = encoding === '7bit' ? 'plain' : 'Gr\xc3\xbc\xc3\x9fe';
      const { tree, before } = await rewrite(ascii(encoding, body));
      expect(tree.headers.get('content-transfer-encoding')).toEqual([encoding]);
      expect(tree.body.includes(before.body)).toBe(true);
    },
  );

  it.each(['7bit', '8bit'])(
    're-encodes a %s part that receives non-ASCII text as quoted-printable',
    async (encoding) => {
      const { tree, report } = await rewrite(ascii(encoding, 'plain'), {
        ...RULES,
        footer: { text: 'Grüße' },
      });
      expect(tree.headers.get('content-transfer-encoding')).toEqual(['quoted-printable']);
      expect(decodedText(tree)).toBe('EXTERNAL SENDER\r\n\r\nplain\r\n\r\nGrüße');
      expect(report.parts[0]?.transferEncoding).toEqual({ from: encoding, to: 'quoted-printable' });
    },
  );
});

describe('where the text goes', () => {
  it('gives each alternative one banner and one footer', async () => {
    const message = withTopHeaders(
      TOP,
      multipart('alternative', 'a', [
        text('hello'),
        html('<html><body><p>hello</p></body></html>'),
      ]),
    );
    const { tree } = await rewrite(message);
    expect(decodedText(at(tree, '1'))).toBe(
      'EXTERNAL SENDER\r\n\r\nhello\r\n\r\nSent from outside.',
    );
    expect(decodedText(at(tree, '2'))).toBe(
      `<html><body>${BANNER_DIV}<p>hello</p>${FOOTER_DIV}</body></html>`,
    );
  });

  it('puts the banner on the first fragment and the footer on the last, around inline images', async () => {
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'm', [
        text('first'),
        image('a.png'),
        text('second'),
        image('b.png'),
        text('third'),
      ]),
    );
    const { tree, before } = await rewrite(message);
    expect(decodedText(at(tree, '1'))).toBe('EXTERNAL SENDER\r\n\r\nfirst');
    expect(sameBytes(at(tree, '2'), at(before, '2'))).toBe(true);
    expect(sameBytes(at(tree, '3'), at(before, '3'))).toBe(true);
    expect(sameBytes(at(tree, '4'), at(before, '4'))).toBe(true);
    expect(decodedText(at(tree, '5'))).toBe('third\r\n\r\nSent from outside.');
  });

  it('ends the body at an attachment, so the stream is not held: one footer, before it', async () => {
    const pdf = part(
      ['Content-Type: application/pdf', 'Content-Disposition: attachment; filename=a.pdf'],
      'pdf',
    );
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'm', [text('first'), pdf, text('second')]),
    );
    const { tree } = await rewrite(message);
    expect(decodedText(at(tree, '1'))).toBe(
      'EXTERNAL SENDER\r\n\r\nfirst\r\n\r\nSent from outside.',
    );
    expect(decodedText(at(tree, '3'))).toBe('second');
  });

  it('places the footer early, once, when too much follows a fragment to wait for the end', async () => {
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'm', [text('first'), image('big.png'), text('second')]),
    );
    const { tree, report } = await rewrite(message, { ...RULES, maxHeldBytes: 100 });
    expect(decodedText(at(tree, '1'))).toBe(
      'EXTERNAL SENDER\r\n\r\nfirst\r\n\r\nSent from outside.',
    );
    expect(decodedText(at(tree, '3'))).toBe('second');
    expect(report.parts[0]?.reason).toMatch(/footer placed early/);
  });

  it('splits banner and footer over HTML fragments inside an alternative (Apple Mail)', async () => {
    const fragments = multipart('mixed', 'm', [
      html('<p>one</p>'),
      image('a.png'),
      html('<p>two</p>'),
    ]);
    const message = withTopHeaders(
      TOP,
      multipart('alternative', 'a', [text('one two'), fragments]),
    );
    const { tree } = await rewrite(message);
    expect(decodedText(at(tree, '1'))).toBe(
      'EXTERNAL SENDER\r\n\r\none two\r\n\r\nSent from outside.',
    );
    expect(decodedText(at(tree, '2.1'))).toBe(`${BANNER_DIV}<p>one</p>`);
    expect(decodedText(at(tree, '2.3'))).toBe(`<p>two</p>${FOOTER_DIV}`);
  });

  it('rewrites only the root of a multipart/related and leaves its images alone', async () => {
    const related = multipart('related', 'r', [
      html('<html><body><img src="cid:logo"></body></html>'),
      image('logo.png'),
    ]);
    const message = withTopHeaders(TOP, multipart('alternative', 'a', [text('logo'), related]));
    const { tree, before } = await rewrite(message);
    expect(decodedText(at(tree, '2.1'))).toBe(
      `<html><body>${BANNER_DIV}<img src="cid:logo">${FOOTER_DIV}</body></html>`,
    );
    expect(sameBytes(at(tree, '2.2'), at(before, '2.2'))).toBe(true);
  });

  it('leaves text attachments alone, by disposition or by file name', async () => {
    const byDisposition = text('attached notes', 'Content-Disposition: attachment');
    const byName = part(['Content-Type: text/plain; name="notes.txt"'], 'named notes');
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'm', [text('body'), byDisposition, byName]),
    );
    const { tree, before } = await rewrite(message);
    expect(decodedText(at(tree, '1'))).toBe(
      'EXTERNAL SENDER\r\n\r\nbody\r\n\r\nSent from outside.',
    );
    expect(sameBytes(at(tree, '2'), at(before, '2'))).toBe(true);
    expect(sameBytes(at(tree, '3'), at(before, '3'))).toBe(true);
  });

  it('finds the body in nested multiparts and leaves the attachment alone', async () => {
    const alternative = multipart('alternative', 'a', [text('deep'), html('<body>deep</body>')]);
    const pdf = part(
      [
        'Content-Type: application/pdf',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename=x.pdf',
      ],
      base64Lines(Buffer.alloc(100, 1)),
    );
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'outer', [multipart('mixed', 'inner', [alternative]), pdf]),
    );
    const { tree, before } = await rewrite(message);
    expect(decodedText(at(tree, '1.1.1'))).toBe(
      'EXTERNAL SENDER\r\n\r\ndeep\r\n\r\nSent from outside.',
    );
    expect(decodedText(at(tree, '1.1.2'))).toBe(`<body>${BANNER_DIV}deep${FOOTER_DIV}</body>`);
    expect(sameBytes(at(tree, '2'), at(before, '2'))).toBe(true);
  });

  it.each([
    ['a blank line', 'Content-Type: text/html\r\n\r\n\r\n--a--\r\n'],
    ['no blank line', 'Content-Type: text/html\r\n\r\n--a--\r\n'],
  ])(
    'keeps the next delimiter on its own line when it fills an empty part (%s before it)',
    async (_case, tail) => {
      const message = Buffer.from(
        `${TOP.join('\r\n')}\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nwords\r\n--a\r\n${tail}`,
      );
      const { output, tree } = await rewrite(message);
      expect(output.toString()).toContain(`${FOOTER_DIV}\r\n--a--\r\n`);
      expect(decodedText(at(tree, '2'))).toBe(`${BANNER_DIV}${FOOTER_DIV}`);
      const again = await rewriteBuffer(output, {
        ...RULES,
        marker: { ...MARKER, value: 'run-2' },
      });
      expect(again.output.toString().replace('run-2', 'run-1')).toBe(output.toString());
    },
  );

  it('leaves a text/calendar invitation alone', async () => {
    const calendar = part(
      ['Content-Type: text/calendar; method=REQUEST; charset=utf-8'],
      'BEGIN:VCALENDAR\r\nEND:VCALENDAR',
    );
    const message = withTopHeaders(TOP, multipart('alternative', 'a', [text('invite'), calendar]));
    const { tree, before } = await rewrite(message);
    expect(sameBytes(at(tree, '2'), at(before, '2'))).toBe(true);
  });

  it('writes format=flowed additions without trailing spaces, space-stuffed', async () => {
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: text/plain; charset=utf-8; format=flowed'], 'A flowed \r\nparagraph.'),
    );
    const { tree } = await rewrite(message, {
      ...RULES,
      banner: undefined,
      footer: { text: 'From outside  \n> careful' },
    });
    expect(tree.params.format).toBe('flowed');
    expect(decodedText(tree)).toBe('A flowed \r\nparagraph.\r\n\r\n From outside\r\n > careful');
  });

  describe('HTML', () => {
    const rewriteHtml = async (body: string) =>
      decodedText((await rewrite(withTopHeaders(TOP, html(body)))).tree);

    it('ignores </body> inside a comment or a script', async () => {
      expect(
        await rewriteHtml(
          '<body><p>x</p><script>var s = "</body>";</script><!-- </body> --></body>',
        ),
      ).toBe(
        `<body>${BANNER_DIV}<p>x</p><script>var s = "</body>";</script><!-- </body> -->${FOOTER_DIV}</body>`,
      );
    });

    it('finds upper-case tags', async () => {
      expect(await rewriteHtml('<HTML><BODY BGCOLOR="white">x</BODY></HTML>')).toBe(
        `<HTML><BODY BGCOLOR="white">${BANNER_DIV}x${FOOTER_DIV}</BODY></HTML>`,
      );
    });

    it('puts the banner after </head> and the footer before </html> when there is no <body>', async () => {
      expect(await rewriteHtml('<html><head><title>t</title></head><p>x</p></html>')).toBe(
        `<html><head><title>t</title></head>${BANNER_DIV}<p>x</p>${FOOTER_DIV}</html>`,
      );
    });

    it('wraps a fragment without any document tags', async () => {
      expect(await rewriteHtml('<p>x</p>')).toBe(`${BANNER_DIV}<p>x</p>${FOOTER_DIV}`);
    });
  });
});

describe('signed and encrypted mail', () => {
  const signature = part(
    [
      'Content-Type: application/pkcs7-signature; name=smime.p7s',
      'Content-Transfer-Encoding: base64',
    ],
    'MIAGCSqGSIb3',
  );

  it.each([
    [
      'multipart/signed',
      multipart('signed', 's', [text('signed text'), signature]),
      'multipart/signed content must not change',
    ],
    [
      'multipart/encrypted',
      multipart('encrypted', 'e', [
        part(['Content-Type: application/pgp-encrypted'], 'Version: 1'),
        part(['Content-Type: application/octet-stream'], '-----BEGIN PGP MESSAGE-----'),
      ]),
      'multipart/encrypted content must not change',
    ],
    [
      'application/pkcs7-mime',
      part(
        [
          'Content-Type: application/pkcs7-mime; smime-type=enveloped-data',
          'Content-Transfer-Encoding: base64',
        ],
        'MIAGCSqGSIb3',
      ),
      'application/pkcs7-mime content is encrypted or signed',
    ],
  ])(
    'never changes %s content, still tags the subject, and says why',
    async (_type, content, reason) => {
      const message = withTopHeaders(TOP, content);
      const { output, report } = await rewrite(message);
      const body = (b: Buffer) => b.subarray(b.indexOf('\r\n\r\n'));
      expect(body(output).equals(body(message))).toBe(true);
      expect(report.subject).toBe('tagged');
      expect(report.parts).toEqual([expect.objectContaining({ change: 'skipped', reason })]);
    },
  );

  it('never changes a signed part nested in a mixed message', async () => {
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'm', [multipart('signed', 's', [text('signed text'), signature])]),
    );
    const { tree, before } = await rewrite(message);
    expect(sameBytes(at(tree, '1'), at(before, '1'))).toBe(true);
  });

  it('puts banner and footer around an armored PGP block, whose lines stay as they were', async () => {
    const signed =
      '-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nhello\r\n-----BEGIN PGP SIGNATURE-----\r\nabc\r\n-----END PGP SIGNATURE-----';
    const { tree, report } = await rewrite(withTopHeaders(TOP, text(`hi\r\n${signed}`)));
    expect(report.parts[0]).toMatchObject({ change: 'rewritten', added: ['banner', 'footer'] });
    const body = decodedText(tree);
    expect(body.startsWith('EXTERNAL SENDER')).toBe(true);
    expect(body).toContain(`\r\nhi\r\n${signed}\r\n`);
  });

  it('does not convert the charset of text that holds an armored PGP block', async () => {
    const signed = '-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nhello';
    const latin1 = part(['Content-Type: text/plain; charset=iso-8859-1'], signed);
    const { tree, report, before } = await rewrite(withTopHeaders(TOP, latin1), {
      ...RULES,
      banner: { text: 'Achtung: von außen ✓' },
    });
    expect(tree.body.equals(before.body)).toBe(true);
    expect(report.parts[0]).toMatchObject({ change: 'skipped' });
  });
});

describe('headers', () => {
  it('tags every Subject: when there are several: readers differ on which they show', async () => {
    const message = withTopHeaders(
      ['Subject: first', 'From: a@example.com', 'Subject: [EXTERNAL] second', 'Subject: third'],
      text('x'),
    );
    const { output, report } = await rewrite(message);
    expect(report.subject).toBe('tagged');
    expect(output.toString().match(/^Subject: [^\r]*/gm)).toEqual([
      'Subject: [EXTERNAL] first',
      'Subject: [EXTERNAL] second',
      'Subject: [EXTERNAL] third',
    ]);
  });

  it('folds a very long subject after the tag so that no line passes 998 octets', async () => {
    const subject = `Subject: ${'x'.repeat(985)}`;
    const message = withTopHeaders([subject, 'From: a@example.com'], text('body'));
    const { output } = await rewrite(message);
    expect(output.toString()).toContain(`Subject: [EXTERNAL]\r\n ${'x'.repeat(985)}\r\n`);
  });

  it('encodes a non-ASCII tag as an RFC 2047 word', async () => {
    const { output } = await rewrite(withTopHeaders(TOP, text('x')), {
      ...RULES,
      subjectTag: '[EXTERN: Prüfen]',
    });
    expect(output.toString()).toMatch(
      /^Subject: =\?UTF-8\?Q\?=5BEXTERN=3A_Pr=C3=BCfen=5D\?= Test\r$/m,
    );
  });

  it('passes malformed and 8-bit header lines through untouched', async () => {
    const odd = ['X-No-Colon-Here', 'X-Raw: caf\xe9 \xff', 'X-Nul: a\x00b', 'X-Folded: a\r\n\tb'];
    const message = withTopHeaders([...TOP, ...odd], text('x'));
    const { output } = await rewrite(message);
    for (const line of odd)
      expect(output.includes(Buffer.from(`\r\n${line}\r\n`, 'latin1'))).toBe(true);
  });
});

describe('declines', () => {
  async function declineReason(message: Buffer, rules: PlannedRewrite = RULES): Promise<string> {
    const failure = await rewriteBuffer(message, rules).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RewriteDeclinedError);
    return (failure as RewriteDeclinedError).reason;
  }

  it('declines a line over 998 octets in a part it does not rewrite', async () => {
    const attachment = part(
      ['Content-Type: application/octet-stream', 'Content-Disposition: attachment'],
      'y'.repeat(1200),
    );
    const message = withTopHeaders(TOP, multipart('mixed', 'm', [text('body'), attachment]));
    expect(await declineReason(message)).toBe('line-too-long');
  });

  it.each([
    [998, undefined],
    [999, 'line-too-long'],
  ])(
    'checks a last line of %i octets without CRLF against the limit too',
    async (length, reason) => {
      const limits = new OutputLimits(1024 * 1024);
      const output = Readable.from([Buffer.from(`Subject: x\r\n\r\n${'q'.repeat(length)}`)]);
      const failure = await pipeline(output, limits, new PassThrough().resume()).catch(
        (error: unknown) => error,
      );
      expect((failure as RewriteDeclinedError | undefined)?.reason).toBe(reason);
    },
  );

  it('re-encodes a long line in a part it rewrites instead of declining', async () => {
    const { tree } = await rewrite(withTopHeaders(TOP, text('z'.repeat(1500))));
    expect(tree.headers.get('content-transfer-encoding')).toEqual(['quoted-printable']);
    expect(decodedText(tree)).toContain('z'.repeat(1500));
  });

  it.each([
    ['inside a line', 'a\rb'],
    ['at the very end', 'ab\r'],
  ])('declines a bare CR %s of a part it does not rewrite', async (_case, data) => {
    const attachment = part(
      ['Content-Type: application/octet-stream', 'Content-Disposition: attachment'],
      data,
    );
    const message = withTopHeaders(TOP, multipart('mixed', 'm', [text('body'), attachment]));
    expect(await declineReason(message)).toBe('bare-cr');
  });

  it('declines output that would pass the size limit', async () => {
    expect(
      await declineReason(withTopHeaders(TOP, text('x'.repeat(500))), {
        ...RULES,
        maxOutputBytes: 400,
      }),
    ).toBe('too-large');
  });

  it('declines a multipart without its closing delimiter, and never repairs it', async () => {
    const message = withTopHeaders(
      TOP,
      multipart('mixed', 'm', [text('a'), text('b')], [], { unclosed: true }),
    );
    expect(await declineReason(message)).toBe('missing-final-boundary');
  });

  it('declines a multipart whose boundary is never used', async () => {
    const message = withTopHeaders(
      TOP,
      part(['Content-Type: multipart/mixed; boundary="never"'], 'just text\r\n'),
    );
    expect(await declineReason(message)).toBe('missing-final-boundary');
  });

  it('declines a nested multipart that reuses the boundary of an enclosing one', async () => {
    const inner = multipart('alternative', 'same', [text('inner')]);
    expect(
      await declineReason(withTopHeaders(TOP, multipart('mixed', 'same', [inner, text('outer')]))),
    ).toBe('ambiguous-boundary');
  });

  it('declines what passes mailsplit’s limits (EMAXLEN)', async () => {
    const many = Array.from({ length: 1100 }, () => text('p'));
    expect(await declineReason(withTopHeaders(TOP, multipart('mixed', 'm', many)))).toBe(
      'unparseable',
    );
  });
});

describe('broken input that is still rewritten safely', () => {
  it('normalises LF-only input to CRLF', async () => {
    const message = Buffer.from('From: a@example.com\nSubject: lf\n\nline one\nline two\n');
    const { output, report } = await rewrite(message);
    expect(report.lineEndingsFixed).toBe(5);
    expect(output.toString()).toContain(
      '\r\n\r\nEXTERNAL SENDER\r\n\r\nline one\r\nline two\r\n\r\nSent from outside.\r\n',
    );
  });

  it('keeps NUL bytes in a part it does not change', async () => {
    const data = part(
      ['Content-Type: application/octet-stream', 'Content-Disposition: attachment'],
      'a\x00b\x00c',
    );
    const message = withTopHeaders(TOP, multipart('mixed', 'm', [text('x'), data]));
    const { tree, before } = await rewrite(message);
    expect(sameBytes(at(tree, '2'), at(before, '2'))).toBe(true);
  });

  it('keeps garbage before the headers as it was', async () => {
    const message = Buffer.concat([
      Buffer.from('\x01\x02garbage line\r\n', 'latin1'),
      withTopHeaders(TOP, text('x')),
    ]);
    const { output } = await rewrite(message);
    expect(
      output.subarray(0, 21).equals(Buffer.from('\x01\x02garbage line\r\nFrom:', 'latin1')),
    ).toBe(true);
  });
});

describe('idempotence', () => {
  it('adds nothing when a new invocation rewrites its earlier output', async () => {
    const alternative = multipart('alternative', 'a', [text('hello'), html('<body>hello</body>')]);
    const first = await rewriteBuffer(withTopHeaders(TOP, alternative), RULES);
    const second = await rewriteBuffer(first.output, {
      ...RULES,
      marker: { ...MARKER, value: 'run-2' },
    });
    expect(second.output.toString().replace('run-2', 'run-1')).toBe(first.output.toString());
    expect(second.report.parts.map((p) => p.change)).toEqual([
      'already-present',
      'already-present',
    ]);
  });
});
