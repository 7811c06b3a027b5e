import { parsePolicy } from '../../lambda/policy/load-policy';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { multipart, part, TOP, withTopHeaders } from '../helpers/build-mime';
import { leafParts } from '../helpers/mime';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');
const POLICY = parsePolicy(
  {
    organizationDomains: ['corp.example'],
    rules: [
      {
        name: 'Warn',
        when: { direction: 'INBOUND' },
        actions: {
          banner: { text: 'BANNER-TEXT', html: '<b>BANNER-HTML</b>' },
          footer: { text: 'FOOTER-TEXT', html: '<i>FOOTER-HTML</i>' },
        },
      },
    ],
  },
  'placement policy',
);

const html = (body: string) => part(['Content-Type: text/html; charset=utf-8'], body);
const image = (name: string) =>
  part(
    [
      `Content-Type: image/png; name="${name}"`,
      `Content-Disposition: inline; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
    ],
    'iVBORw0KGgo=',
  );

/** As Apple Mail sends a body with two pictures in it: HTML fragments around inline images. */
const APPLE_MAIL = withTopHeaders(
  TOP,
  multipart('alternative', 'alt', [
    part(['Content-Type: text/plain; charset=us-ascii'], 'one\r\n\r\ntwo\r\n\r\nthree'),
    multipart('mixed', 'mix', [
      html('<html><body><p>one</p>'),
      image('a.png'),
      html('<p>two</p>'),
      image('b.png'),
      html('<p>three</p></body></html>'),
    ]),
  ]),
);

describe('placement on real clients’ mail, through the handler', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({}, POLICY);
  });

  afterEach(async () => {
    await harness.services.close();
  });

  it('puts one banner on the first displayed fragment and one footer on the last', async () => {
    harness.services.emulator.addMessage('p-1', APPLE_MAIL);
    const event: WorkMailRunLambdaEvent = { ...inbound, messageId: 'p-1' };

    const result = await harness.run(event);

    expect(result.outcome).toBe('rewritten');
    const leaves = await leafParts(harness.services.emulator.message('p-1') ?? Buffer.alloc(0));
    const texts = leaves.map((leaf) => leaf.decoded.toString('utf8'));
    const count = (needle: string) => texts.join('\n').split(needle).length - 1;
    // One of each per display group: the text alternative and the HTML alternative.
    expect([count('BANNER-TEXT'), count('FOOTER-TEXT')]).toEqual([1, 1]);
    expect([count('BANNER-HTML'), count('FOOTER-HTML')]).toEqual([1, 1]);
    const fragments = leaves.filter((leaf) => leaf.contentType === 'text/html');
    expect(fragments.map((f) => f.decoded.toString().includes('BANNER-HTML'))).toEqual([
      true,
      false,
      false,
    ]);
    expect(fragments.map((f) => f.decoded.toString().includes('FOOTER-HTML'))).toEqual([
      false,
      false,
      true,
    ]);
    // The pictures between the fragments are the same bytes.
    expect(
      leaves
        .filter((leaf) => leaf.contentType === 'image/png')
        .map((l) => l.decoded.toString('base64')),
    ).toEqual(['iVBORw0KGgo=', 'iVBORw0KGgo=']);
  });
});
