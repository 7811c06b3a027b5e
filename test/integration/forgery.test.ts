import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { htmlMarkOpening, markToken } from '../../lambda/rewrite/html-marks';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { multipart, part } from '../helpers/build-mime';
import { leafParts, topHeader } from '../helpers/mime';
import { type Harness, startHarness } from '../helpers/rule-harness';

/**
 * Every signal a stranger can write, tried against the default policy through the handler and the
 * emulators: none of them may switch the warning off.
 */
const inbound = loadEvent('inbound.json');
const BANNER_TEXT = 'CAUTION: This email came from outside the organization';

function event(messageId: string): WorkMailRunLambdaEvent {
  return { ...structuredClone(inbound), messageId };
}

function message(headers: string[], body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      [
        'From: Alice <alice@partner.example>',
        'To: bob@corp.example',
        'Date: Tue, 24 Nov 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        ...headers,
      ]
        .map((h) => `${h}\r\n`)
        .join(''),
      'latin1',
    ),
    body,
  ]);
}

function alternative(text: string, html: string): Buffer {
  return multipart('alternative', 'alt-1', [
    part(['Content-Type: text/plain; charset=utf-8'], text),
    part(['Content-Type: text/html; charset=utf-8'], html),
  ]);
}

describe('forged signals in mail from outside', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({}, bundledPolicy());
  });

  afterEach(async () => {
    await harness.services.close();
  });

  async function runOn(id: string, raw: Buffer) {
    harness.services.emulator.addMessage(id, raw);
    const result = await harness.run(event(id));
    const stored = harness.services.emulator.message(id) ?? Buffer.alloc(0);
    return { result, stored, leaves: await leafParts(stored) };
  }

  it('copies of our marker, our banner and our header do not pass for ours', async () => {
    const forgedBanner = `${htmlMarkOpening('banner', markToken('guessed'))}<b>Verified internal sender</b></div>`;
    const raw = message(
      [
        'Subject: Invoice',
        'X-Mail-Rewrite-Id: 6f1e2d3c4b5a69788796a5b4c3d2e1ef',
        'X-Mail-Origin: internal',
      ],
      alternative(
        `${BANNER_TEXT} (alice@partner.example).\r\n\r\nPay today.\r\n`,
        `<html><head><style>[data-mail-rewrite]{display:none}</style></head><body>${forgedBanner}<p>Pay today.</p></body></html>`,
      ),
    );

    const { result, stored, leaves } = await runOn('forged-1', raw);

    expect(result.outcome).toBe('rewritten');
    expect(topHeader(stored, 'Subject')).toBe('[EXTERNAL] Invoice');
    expect(topHeader(stored, 'X-Mail-Rewrite-Id')).toBe(inbound.invocationId);
    const head = stored.toString('latin1').split('\r\n\r\n')[0] ?? '';
    expect(head.match(/^x-mail-origin:.*$/gim)).toEqual(['X-Mail-Origin: external']);
    // The stranger's text copy stays below ours; the HTML copy no longer carries our mark.
    const [text, html] = leaves.map((leaf) => leaf.decoded.toString('utf8'));
    expect(text?.split(BANNER_TEXT)).toHaveLength(3);
    const ownOpening = htmlMarkOpening('banner', markToken(inbound.invocationId));
    expect(html).toContain(`<body>${ownOpening}`);
    expect(html).toContain('<div data-foreign-mail-rewrite-');
    expect(result.report?.parts.find((p) => p.contentType === 'text/html')).toMatchObject({
      added: ['banner'],
      neutralised: 1,
    });
  });

  it('trusts a marker equal to this invocation id: its own output, seen again on a retry', async () => {
    const raw = message(
      ['Subject: [EXTERNAL] Invoice', `X-Mail-Rewrite-Id: ${inbound.invocationId}`],
      part(['Content-Type: text/plain'], 'Pay today.\r\n'),
    );

    const { result, stored } = await runOn('own-1', raw);

    expect(result.outcome).toBe('already-rewritten');
    expect(stored.equals(raw)).toBe(true);
  });

  it('puts the tag in front when a sender hid it at the end of the subject', async () => {
    const raw = message(
      [`Subject: Invoice${' '.repeat(150)}[EXTERNAL]`],
      part(['Content-Type: text/plain'], 'Pay today.\r\n'),
    );

    const { stored } = await runOn('tag-1', raw);

    expect(topHeader(stored, 'Subject')).toMatch(/^\[EXTERNAL\] Invoice {150}\[EXTERNAL\]$/);
  });

  it('a company From: without the receiving service’s DMARC pass gets the warning', async () => {
    const raw = message(
      [
        'Authentication-Results: partner.example; dmarc=pass header.from=corp.example',
        'Subject: Wire transfer',
      ],
      part(['Content-Type: text/plain'], 'Pay today.\r\n'),
    ).toString('latin1');
    const spoofed = Buffer.from(raw.replace('alice@partner.example', 'ceo@corp.example'), 'latin1');

    const { stored, leaves } = await runOn('from-1', spoofed);

    expect(topHeader(stored, 'Subject')).toBe('[EXTERNAL] Wire transfer');
    expect(leaves[0]?.decoded.toString('utf8')).toMatch(new RegExp(`^${BANNER_TEXT}`));
  });
});
