import iconv = require('iconv-lite');

import fc from 'fast-check';
import { htmlMarkOpening, markToken } from '../../lambda/rewrite/html-marks';
import type { PlannedRewrite } from '../../lambda/rewrite/rewrite-rules';
import {
  base64Lines,
  multipart,
  part,
  quotedPrintable,
  withTopHeaders,
} from '../helpers/build-mime';
import { rewriteBuffer } from '../helpers/mime';
import {
  allParts,
  decodedText,
  firstBadLine,
  type MimePart,
  parseMime,
} from '../helpers/mime-tree';
import { PROPERTY_RUN_TIMEOUT } from '../helpers/timeouts';

/**
 * Properties of the engine on generated messages, checked with the independent splitter in
 * test/helpers/mime-tree.ts. The generator builds the shapes mail clients produce; an oracle on
 * the generated tree says which text parts get the banner and which the footer.
 */

const SEED = 20261125;
const RUNS = 120;

// Words each charset can hold, so generated text always encodes.
const WORDS: Record<string, string[]> = {
  'us-ascii': ['hello', 'quarterly', 'figures', 'From', '>quoted', '=3D', 'line.'],
  'utf-8': ['Grüße', 'ça', 'Привет', '你好', 'こんにちは', '—', 'emoji🙂'],
  'iso-8859-1': ['Grüße', 'Köln', 'ça', 'señor'],
  'windows-1252': ['€', '“quoted”', '–', 'Grüße'],
  shift_jis: ['こんにちは', '世界', 'テスト'],
  gb2312: ['你好', '世界', '测试'],
  'koi8-r': ['Привет', 'мир', 'тест'],
};
type Charset = keyof typeof WORDS;
const CHARSETS = Object.keys(WORDS) as Charset[];
const ADDITIONS = [
  {
    banner: { text: 'EXTERNAL SENDER', html: '<b>EXTERNAL</b>' },
    footer: { text: 'Sent from outside.', html: '<p>outside</p>' },
  },
  {
    banner: { text: 'Externer Absender: Vorsicht', html: '<b>Prüfen</b>' },
    footer: { text: 'Внешний отправитель', html: '<p>注意</p>' },
  },
  { footer: { text: 'Footer only', html: '<p>footer only</p>' } },
  { banner: { text: 'Banner only', html: '<p>banner only</p>' } },
];

interface TextLeaf {
  type: 'text';
  subtype: 'plain' | 'html';
  charset: Charset;
  encoding: '7bit' | '8bit' | 'quoted-printable' | 'base64';
  words: string[];
  /** Wrap HTML in <html><body>, or leave it a bare fragment. */
  document: boolean;
  attachment: boolean;
}
interface OpaqueLeaf {
  type: 'opaque';
  kind: 'image' | 'pdf' | 'calendar' | 'rfc822' | 'text-attachment';
}
interface Multi {
  type: 'multi';
  subtype: 'mixed' | 'alternative' | 'related' | 'signed';
  children: Spec[];
}
type Spec = TextLeaf | OpaqueLeaf | Multi;

function textLeaf(subtype: 'plain' | 'html', attachment = false): fc.Arbitrary<TextLeaf> {
  return fc
    .record({
      charset: fc.constantFrom(...CHARSETS),
      encoding: fc.constantFrom('7bit', '8bit', 'quoted-printable', 'base64') as fc.Arbitrary<
        TextLeaf['encoding']
      >,
      count: fc.integer({ min: 0, max: 12 }),
      seed: fc.nat(),
      document: fc.boolean(),
    })
    .map(({ charset, encoding, count, seed, document }) => {
      const pool = [...(WORDS['us-ascii'] ?? []), ...(WORDS[charset] ?? [])];
      const words = Array.from(
        { length: count },
        (_, i) => pool[(seed + i * 7) % pool.length] ?? 'x',
      );
      // 7bit can only carry ASCII; keep the generated part valid.
      const ascii = words.every((w) => /^[\x20-\x7e]*$/.test(w));
      return {
        type: 'text',
        subtype,
        charset,
        encoding: encoding === '7bit' && !ascii ? '8bit' : encoding,
        words,
        document,
        attachment,
      };
    });
}

const opaque = (kind: OpaqueLeaf['kind']): OpaqueLeaf => ({ type: 'opaque', kind });
const body: fc.Arbitrary<Spec> = fc.oneof(
  textLeaf('plain'),
  textLeaf('html'),
  fc
    .tuple(textLeaf('plain'), textLeaf('html'))
    .map(([t, h]): Spec => ({ type: 'multi', subtype: 'alternative', children: [t, h] })),
  fc.tuple(textLeaf('plain'), textLeaf('html'), fc.integer({ min: 1, max: 2 })).map(
    ([t, h, images]): Spec => ({
      type: 'multi',
      subtype: 'alternative',
      children: [
        t,
        {
          type: 'multi',
          subtype: 'related',
          children: [h, ...Array.from({ length: images }, () => opaque('image'))],
        },
      ],
    }),
  ),
  // Apple Mail: HTML fragments around inline images inside the HTML alternative.
  fc.tuple(textLeaf('plain'), fc.array(textLeaf('html'), { minLength: 2, maxLength: 3 })).map(
    ([t, fragments]): Spec => ({
      type: 'multi',
      subtype: 'alternative',
      children: [
        t,
        {
          type: 'multi',
          subtype: 'mixed',
          children: fragments.flatMap((f, i) => (i ? [opaque('image'), f] : [f])),
        },
      ],
    }),
  ),
);
const extra: fc.Arbitrary<Spec> = fc.oneof(
  fc
    .constantFrom('image', 'pdf', 'calendar', 'rfc822', 'text-attachment')
    .map((k) => opaque(k as OpaqueLeaf['kind'])),
  textLeaf('plain', true),
);
const message: fc.Arbitrary<Spec> = fc.oneof(
  body,
  fc
    .tuple(body, fc.array(extra, { minLength: 1, maxLength: 3 }))
    .map(([b, extras]): Spec => ({ type: 'multi', subtype: 'mixed', children: [b, ...extras] })),
  // Plain-text fragments around inline images (Apple Mail without HTML), then maybe an attachment.
  fc.tuple(fc.array(textLeaf('plain'), { minLength: 2, maxLength: 3 }), fc.boolean()).map(
    ([fragments, pdf]): Spec => ({
      type: 'multi',
      subtype: 'mixed',
      children: [
        ...fragments.flatMap((f, i) => (i ? [opaque('image'), f] : [f])),
        ...(pdf ? [opaque('pdf')] : []),
      ],
    }),
  ),
  body.map((b): Spec => ({ type: 'multi', subtype: 'signed', children: [b, opaque('pdf')] })),
);

function textBytes(leaf: TextLeaf): { bytes: Buffer; text: string } {
  const joined = leaf.words.join(' ').replace(/(\S+ \S+ \S+) /g, '$1\r\n');
  const text =
    leaf.subtype === 'plain'
      ? joined
      : leaf.document
        ? `<html><body><p>${joined}</p></body></html>`
        : `<p>${joined}</p>`;
  return {
    bytes: leaf.charset === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, leaf.charset),
    text,
  };
}

let boundaries = 0;
function build(spec: Spec): Buffer {
  if (spec.type === 'multi') {
    boundaries++;
    return multipart(spec.subtype, `b${boundaries}_=`, spec.children.map(build));
  }
  if (spec.type === 'opaque') {
    const headers: Record<OpaqueLeaf['kind'], string[]> = {
      image: [
        'Content-Type: image/png',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: inline; filename="i.png"',
      ],
      pdf: [
        'Content-Type: application/pdf',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="d.pdf"',
      ],
      calendar: ['Content-Type: text/calendar; method=REQUEST'],
      rfc822: ['Content-Type: message/rfc822'],
      'text-attachment': [
        'Content-Type: text/plain',
        'Content-Disposition: attachment; filename="n.txt"',
      ],
    };
    const bodies: Record<OpaqueLeaf['kind'], string> = {
      image: base64Lines(Buffer.alloc(200, 3)),
      pdf: base64Lines(Buffer.from('%PDF-1.4 binary \x00\x01')),
      calendar: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR',
      rfc822: 'Subject: inner\r\nContent-Type: text/html\r\n\r\n<html><body>inner</body></html>',
      'text-attachment': 'notes',
    };
    return part(headers[spec.kind], bodies[spec.kind]);
  }
  const { bytes } = textBytes(spec);
  const charset = spec.charset === 'us-ascii' ? '' : `; charset=${spec.charset}`;
  const encoded =
    spec.encoding === 'base64'
      ? base64Lines(bytes)
      : spec.encoding === 'quoted-printable'
        ? quotedPrintable(bytes)
        : bytes;
  return part(
    [
      `Content-Type: text/${spec.subtype}${charset}`,
      `Content-Transfer-Encoding: ${spec.encoding}`,
      ...(spec.attachment ? ['Content-Disposition: attachment; filename="t.txt"'] : []),
    ],
    encoded,
  );
}

interface Expectation {
  path: string;
  leaf: TextLeaf;
  banner: boolean;
  footer: boolean;
}

/** The oracle: displayed text leaves, grouped; banner on each group's first, footer on its last. */
function expectations(spec: Spec): Expectation[] {
  const fragments: { path: string; leaf: TextLeaf; group: string }[] = [];
  const walk = (node: Spec, path: string, group: string, parent?: Multi, index = 0) => {
    if (parent?.subtype === 'signed') return;
    if (parent?.subtype === 'related' && index > 0) return;
    if (node.type === 'multi') {
      if (node.subtype === 'signed') return;
      node.children.forEach((child, i) => {
        const childPath = path ? `${path}.${i + 1}` : `${i + 1}`;
        walk(child, childPath, node.subtype === 'alternative' ? childPath : group, node, i);
      });
    } else if (node.type === 'text' && !node.attachment)
      fragments.push({ path, leaf: node, group });
  };
  walk(spec, '', 'root');
  return fragments.map((f) => {
    const group = fragments.filter((g) => g.group === f.group);
    return { path: f.path, leaf: f.leaf, banner: group[0] === f, footer: group.at(-1) === f };
  });
}

function expectedText(e: Expectation, rules: PlannedRewrite): string {
  const { text } = textBytes(e.leaf);
  const banner = e.banner
    ? rules.banner?.[e.leaf.subtype === 'plain' ? 'text' : 'html']
    : undefined;
  const footer = e.footer
    ? rules.footer?.[e.leaf.subtype === 'plain' ? 'text' : 'html']
    : undefined;
  if (e.leaf.subtype === 'plain') {
    // The non-empty pieces, one blank line apart.
    return [banner, text, footer].filter(Boolean).join('\r\n\r\n');
  }
  const token = markToken(rules.marker.value);
  const b = banner ? `${htmlMarkOpening('banner', token)}${banner}</div>` : '';
  const f = footer ? `${htmlMarkOpening('footer', token)}${footer}</div>` : '';
  const inner = text.replace(/^<html><body>|<\/body><\/html>$/g, '');
  return e.leaf.document ? `<html><body>${b}${inner}${f}</body></html>` : `${b}${inner}${f}`;
}

const stats = {
  messages: 0,
  structures: new Map<string, number>(),
  charsets: new Map<string, number>(),
  encodings: new Map<string, number>(),
  converted: 0,
};
function count(map: Map<string, number>, key: string) {
  map.set(key, (map.get(key) ?? 0) + 1);
}
function shape(spec: Spec): string {
  return spec.type === 'multi'
    ? `${spec.subtype}(${spec.children.map(shape).join(',')})`
    : spec.type === 'text'
      ? spec.subtype
      : spec.kind;
}

const arbitraryCase = fc.record({
  spec: message,
  additions: fc.constantFrom(...ADDITIONS),
  chunk: fc.integer({ min: 1, max: 700 }),
});

describe('engine properties on generated messages', () => {
  afterAll(() => {
    const top = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    process.stdout.write(
      [
        `generated messages: ${stats.messages} (seed ${SEED})`,
        `  structures (${stats.structures.size} distinct): ${top(stats.structures).slice(0, 600)}`,
        `  text part charsets: ${top(stats.charsets)}`,
        `  text part encodings: ${top(stats.encodings)}`,
        `  parts converted to UTF-8: ${stats.converted}`,
        '',
      ].join('\n'),
    );
  });

  it(
    'rewrites every generated message with properties 1-5 holding',
    async () => {
      await fc.assert(
        fc.asyncProperty(arbitraryCase, async ({ spec, additions, chunk }) => {
          const rules: PlannedRewrite = {
            subjectTag: '[EXT]',
            marker: { header: 'X-Mail-Rewrite-Id', value: 'first' },
            ...additions,
          };
          const input = withTopHeaders(
            ['From: a@partner.example', 'Subject: generated', 'MIME-Version: 1.0'],
            build(spec),
          );
          const { output, report } = await rewriteBuffer(input, rules);
          stats.messages++;
          count(stats.structures, shape(spec));

          // 1. The output parses as MIME; every line ends with CRLF, at most 998 octets before it.
          expect(firstBadLine(output)).toBeUndefined();
          const [before, after] = [parseMime(input), parseMime(output)];
          const [oldParts, newParts] = [allParts(before), allParts(after)];
          expect(newParts.map((p) => p.path)).toEqual(oldParts.map((p) => p.path));

          // 3. Each target decodes to its text plus exactly the banner and footer the oracle expects.
          const targets = expectations(spec).filter(
            (e) => (e.banner && rules.banner) || (e.footer && rules.footer),
          );
          for (const target of expectations(spec)) {
            count(stats.charsets, target.leaf.charset);
            count(stats.encodings, target.leaf.encoding);
            const rewritten = newParts.find((p) => p.path === target.path) as MimePart;
            expect(decodedText(rewritten)).toBe(expectedText(target, rules));
          }
          stats.converted += report.parts.filter((p) => p.charset).length;

          // 2. Every part that is not a target is byte-identical, headers and body.
          const targetPaths = new Set(targets.map((t) => t.path));
          for (const [i, old] of oldParts.entries()) {
            if (old.path === '' || targetPaths.has(old.path)) continue;
            const fresh = newParts[i] as MimePart;
            if (old.children.length) expect(fresh.head.equals(old.head)).toBe(true);
            else expect(fresh.head.equals(old.head) && fresh.body.equals(old.body)).toBe(true);
          }

          // 4. A new invocation on the output changes nothing but the marker's value.
          const again = await rewriteBuffer(output, {
            ...rules,
            marker: { ...rules.marker, value: 'second' },
          });
          expect(
            again.output
              .toString('latin1')
              .replace('X-Mail-Rewrite-Id: second', 'X-Mail-Rewrite-Id: first'),
          ).toBe(output.toString('latin1'));

          // 5. Any chunking of the input gives the same output.
          expect((await rewriteBuffer(input, rules, chunk)).output.equals(output)).toBe(true);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    },
    PROPERTY_RUN_TIMEOUT,
  );
});
