import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { SERVICE_UNAVAILABLE } from '../../local/message-flow-emulator';
import { sharedBoundaryMessage } from '../helpers/build-mime';
import { leafParts, readFixture, topHeader } from '../helpers/mime';
import { allParts, parseMime } from '../helpers/mime-tree';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');
const outbound = loadEvent('outbound.json');
const DEFAULT_ALL = { actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }] };

function inboundFrom(sender: string, messageId: string): WorkMailRunLambdaEvent {
  const event = structuredClone(inbound);
  event.envelope.mailFrom.address = sender;
  return { ...event, messageId };
}

function companyMessage(extraHeaders: string): Buffer {
  return Buffer.from(
    `${extraHeaders}From: CEO <ceo@corp.example>\r\nTo: bob@corp.example\r\nSubject: Wire transfer\r\n` +
      'Content-Type: text/plain; charset=us-ascii\r\n\r\nPlease pay today.\r\n',
  );
}

describe('the default policy, end to end', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({}, bundledPolicy());
  });

  afterEach(async () => {
    await harness.services.close();
  });

  it('tags inbound mail from outside and puts the warning banner on top', async () => {
    harness.services.emulator.addMessage('in-1', readFixture('alternative-with-pdf.eml'));

    const result = await harness.run({ ...inbound, messageId: 'in-1' });

    expect(result).toMatchObject({
      outcome: 'rewritten',
      rules: ['Warn about external senders'],
      response: DEFAULT_ALL,
    });
    const stored = harness.services.emulator.message('in-1') ?? Buffer.alloc(0);
    expect(topHeader(stored, 'Subject')).toBe('[EXTERNAL] Quarterly figures');
    expect(topHeader(stored, 'X-Mail-Origin')).toBe('external');
    const [text, html] = await leafParts(stored);
    expect(text?.decoded.toString()).toMatch(
      /^CAUTION: This email came from outside the organization \(alice@partner\.example\)\..*\r\n\r\nHi Bob,/s,
    );
    expect(html?.decoded.toString()).toMatch(
      /<BODY><div data-mail-rewrite-[0-9a-f]{12}="banner" style="[^"]+"><table role="presentation"/,
    );
    expect(html?.decoded.toString()).toContain('(alice@partner.example)');
  });

  it('warns about a spoofed company From: that no authentication result backs', async () => {
    harness.services.emulator.addMessage('spoof-1', companyMessage(''));

    const result = await harness.run(inboundFrom('ceo@corp.example', 'spoof-1'));

    expect(result.rules).toEqual(['Warn about external senders']);
    expect(
      topHeader(harness.services.emulator.message('spoof-1') ?? Buffer.alloc(0), 'Subject'),
    ).toBe('[EXTERNAL] Wire transfer');
  });

  it('leaves alone company mail that the receiving service authenticated, without a Put', async () => {
    const passed =
      'Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=ceo@corp.example;\r\n dmarc=pass header.from=corp.example;\r\n';
    harness.services.emulator.addMessage('internal-1', companyMessage(passed));

    const result = await harness.run(inboundFrom('ceo@corp.example', 'internal-1'));

    expect(result).toMatchObject({ outcome: 'unchanged', rules: [], response: DEFAULT_ALL });
    expect(harness.services.emulator.updates).toHaveLength(0);
  });

  it('appends the legal disclaimer to outbound mail and leaves its subject alone', async () => {
    harness.services.emulator.addMessage(outbound.messageId, readFixture('plain-7bit.eml'));

    const result = await harness.run(outbound);

    expect(result.rules).toEqual(['Legal disclaimer on outgoing mail']);
    const stored = harness.services.emulator.message(outbound.messageId) ?? Buffer.alloc(0);
    expect(topHeader(stored, 'Subject')).toBe('Lunch?');
    expect(stored.toString()).toMatch(
      /Carol\r\n\r\nThis message may contain confidential information\..*\r\n$/s,
    );
  });
});

describe('policy actions and fallbacks, end to end', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.services.close();
  });

  it('bounces signed mail it cannot put the banner on when the fallback says so', async () => {
    harness = await startHarness(
      {},
      testPolicy({
        fallback: { bounce: 'Signed mail from outside is not accepted here.' },
        rules: [{ name: 'Banner', actions: { banner: { text: 'EXTERNAL' } } }],
      }),
    );
    harness.services.emulator.addMessage('signed-1', readFixture('signed.eml'));

    const result = await harness.run({ ...inbound, messageId: 'signed-1' });

    expect(result).toMatchObject({
      outcome: 'bounced-by-fallback',
      reason: 'banner not placed: multipart/signed content must not change',
      response: {
        actions: [
          {
            action: {
              type: 'BOUNCE',
              parameters: { bounceMessage: 'Signed mail from outside is not accepted here.' },
            },
            allRecipients: true,
          },
        ],
      },
    });
    // The rewrite ran to its end: its report (and the MessageBytes metric) is not lost.
    expect(result.report?.bytesIn).toBe(readFixture('signed.eml').length);
    expect(harness.services.emulator.updates).toHaveLength(0);
  });

  it.each([
    [
      'signed mail that cannot take the banner',
      'signed.eml',
      undefined,
      'banner not placed: multipart/signed content must not change',
    ],
    ['a message the engine declines', 'SHARED', undefined, 'declined-ambiguous-boundary'],
    ['a rewrite that WorkMail refuses', 'plain-7bit.eml', 'MessageRejected', 'message-rejected'],
  ] as const)('wraps %s when the fallback says so', async (_case, fixture, fault, reason) => {
    harness = await startHarness(
      {},
      testPolicy({
        fallback: 'wrap',
        rules: [{ name: 'Warn', actions: { subjectTag: '[EXT]', banner: { text: 'EXTERNAL' } } }],
      }),
    );
    const original = fixture === 'SHARED' ? sharedBoundaryMessage() : readFixture(fixture);
    const { emulator } = harness.services;
    emulator.addMessage('wrap-1', original);
    if (fault) emulator.failNext('put', { kind: 'error', error: fault });

    const result = await harness.run({ ...inbound, messageId: 'wrap-1' });

    expect(result).toMatchObject({ outcome: 'wrapped-by-fallback', reason });
    const stored = parseMime(emulator.message('wrap-1') ?? Buffer.alloc(0));
    expect(stored.headers.get('subject')?.[0]).toMatch(/^\[EXT\] /);
    // Mail that only could not take the banner opens in place; broken or refused mail is attached
    // as base64 original.eml, which carries its bytes through WorkMail's content rules.
    const attached = allParts(stored).find(
      (p) =>
        p.contentType !== 'text/plain' &&
        !p.contentType.startsWith('multipart/') &&
        p.contentType !== 'text/html',
    );
    const bytes =
      attached?.contentType === 'application/octet-stream'
        ? Buffer.from(attached.body.toString('latin1'), 'base64')
        : attached?.body;
    expect(attached?.contentType).toBe(
      fault || fixture === 'SHARED' ? 'application/octet-stream' : 'message/rfc822',
    );
    expect(bytes?.equals(original)).toBe(true);
  });

  it('delivers the rest with the tag when the fallback is deliver', async () => {
    harness = await startHarness(
      {},
      testPolicy({
        rules: [
          {
            name: 'Tag and banner',
            actions: { subjectTag: '[EXT]', banner: { text: 'EXTERNAL' } },
          },
        ],
      }),
    );
    harness.services.emulator.addMessage('signed-2', readFixture('signed.eml'));

    const result = await harness.run({ ...inbound, messageId: 'signed-2' });

    expect(result).toMatchObject({
      outcome: 'rewritten',
      reason: 'banner not placed: multipart/signed content must not change',
    });
    expect(
      topHeader(harness.services.emulator.message('signed-2') ?? Buffer.alloc(0), 'Subject'),
    ).toBe('[EXT] Signed contract');
  });

  it('answers per-recipient delivery and a journaling copy, and the same again on a retry', async () => {
    harness = await startHarness(
      {},
      testPolicy({
        rules: [
          {
            name: 'Junk for legal, copy to the journal',
            when: { direction: 'INBOUND' },
            actions: {
              subjectTag: '[EXTERNAL]',
              deliver: { action: 'MOVE_TO_JUNK', recipients: ['legal@corp.example'] },
              addRecipients: ['journal@corp.example'],
            },
          },
        ],
      }),
    );
    harness.services.emulator.addMessage('multi-1', readFixture('plain-7bit.eml'));
    const event = structuredClone(inbound);
    event.envelope.recipients = [
      { address: 'bob@corp.example' },
      { address: 'Legal@corp.example' },
    ];
    const expected = {
      actions: [
        { action: { type: 'MOVE_TO_JUNK' }, recipients: ['Legal@corp.example'] },
        { action: { type: 'DEFAULT' }, allRecipients: true },
        { action: { type: 'DEFAULT' }, recipients: ['journal@corp.example'] },
      ],
    };

    const first = await harness.run({ ...event, messageId: 'multi-1' });
    const retry = await harness.run({ ...event, messageId: 'multi-1' });

    expect(first).toMatchObject({ outcome: 'rewritten', response: expected });
    expect(retry).toMatchObject({ outcome: 'already-rewritten', response: expected });
    expect(harness.services.emulator.updates).toHaveLength(1);
  });
});

/** More header than the parser reads before it gives up on the message. */
function hugeHeaderBlock(): Buffer {
  const filler = Array.from({ length: 12_000 }, (_, i) => `X-Filler-${i}: ${'a'.repeat(90)}\r\n`);
  return Buffer.from(`Subject: invoice\r\n${filler.join('')}\r\nbody\r\n`);
}

describe('when the fallback meets a failure too', () => {
  let harness: Harness;
  let uploads: string[];

  const wrapPolicy = testPolicy({
    fallback: 'wrap',
    rules: [{ name: 'Warn', actions: { subjectTag: '[EXT]', banner: { text: 'EXTERNAL' } } }],
  });

  async function start(policy = wrapPolicy) {
    uploads = [];
    harness = await startHarness({}, policy, {
      store: (store) => ({
        put(key, body, signal) {
          uploads.push(key);
          return store.put(key, body, signal);
        },
      }),
    });
  }

  afterEach(async () => {
    await harness.services.close();
  });

  it('logs and measures the retry when the wrap’s Put meets a fault of the moment', async () => {
    await start();
    const { emulator } = harness.services;
    emulator.addMessage('wf-1', readFixture('plain-7bit.eml'));
    emulator.failNext('put', { kind: 'error', error: 'MessageRejected' });
    // More 503s than the SDK client's own attempts.
    emulator.failNext('put', SERVICE_UNAVAILABLE, 5);

    await expect(harness.run({ ...inbound, messageId: 'wf-1' })).rejects.toMatchObject({
      name: 'ServiceUnavailable',
    });

    expect(harness.measures).toEqual([
      expect.objectContaining({ outcome: 'retry', reason: 'transient-error' }),
    ]);
    expect(harness.log.entries.at(-1)).toMatchObject({
      level: 'error',
      attributes: { outcome: 'retry', reason: 'transient-error', rules: ['Warn'] },
    });
  });

  it('tries the wrap once: when WorkMail refuses it as well, the original goes out', async () => {
    await start();
    const { emulator } = harness.services;
    emulator.addMessage('wf-2', readFixture('signed.eml'));
    emulator.failNext('put', { kind: 'error', error: 'MessageRejected' }, 2);

    const result = await harness.run({ ...inbound, messageId: 'wf-2' });

    expect(result).toMatchObject({
      outcome: 'delivered-unchanged-after-failure',
      reason: 'message-rejected',
    });
    // The rewrite (banner not placed on signed mail) and one wrap; no second wrap.
    expect(uploads).toHaveLength(2);
    expect(emulator.updates).toHaveLength(0);
  });

  it('repairs a message declined for a line over 998 octets: the part becomes base64', async () => {
    await start();
    const long = Buffer.from(
      'Subject: long\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n' +
        'Content-Type: text/plain\r\n\r\nbody\r\n--m\r\nContent-Type: application/octet-stream\r\n' +
        `Content-Disposition: attachment\r\n\r\n${'y'.repeat(1200)}\r\n--m--\r\n`,
    );
    harness.services.emulator.addMessage('wf-3', long);

    const result = await harness.run({ ...inbound, messageId: 'wf-3' });

    expect(result).toMatchObject({
      outcome: 'rewritten',
      repairs: expect.arrayContaining([
        { kind: 're-encoded-part', part: '2', detail: 'a line over 998 octets: now base64' },
      ]),
    });
    // The first rewrite was declined while it streamed; the repaired one went up.
    expect(uploads).toHaveLength(2);
  });

  it.each([
    ['too broken to read', hugeHeaderBlock(), 'declined-unparseable'],
    ['gone', undefined, 'message-not-found'],
  ])(
    'bounces a sender the envelope alone proves, when the message is %s',
    async (_case, content, reason) => {
      await start(
        testPolicy({
          fallback: { bounce: 'Not accepted.' },
          rules: [
            {
              name: 'Blocked partner',
              when: { senders: ['*@partner.example'] },
              actions: { deliver: { action: 'BOUNCE', bounceMessage: 'Blocked.' } },
              stop: true,
            },
            {
              name: 'Invoices',
              when: { subjectContains: ['invoice'] },
              actions: { banner: { text: 'EXTERNAL' } },
            },
          ],
        }),
      );
      if (content) harness.services.emulator.addMessage('wf-4', content);

      const blocked = await harness.run(inboundFrom('eve@partner.example', 'wf-4'));
      const other = await harness.run(inboundFrom('ann@elsewhere.example', 'wf-4'));

      expect(blocked).toMatchObject({
        outcome: 'delivered-unchanged-after-failure',
        reason,
        rules: ['Blocked partner'],
        response: {
          actions: [
            {
              action: { type: 'BOUNCE', parameters: { bounceMessage: 'Blocked.' } },
              allRecipients: true,
            },
          ],
        },
      });
      // Only proven rules count; unproven ones change nothing, so the fallback does not bounce.
      expect(other).toMatchObject({
        outcome: 'delivered-unchanged-after-failure',
        reason,
        rules: [],
        response: DEFAULT_ALL,
      });
    },
  );
});
