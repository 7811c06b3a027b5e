import fc from 'fast-check';
import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { loadEvent } from '../../local/events';
import { multipart, part, withTopHeaders } from '../helpers/build-mime';
import { readFixture, topHeader } from '../helpers/mime';
import { fuzzSeeds, mutated, mutations } from '../helpers/mutations';
import { type Harness, startHarness } from '../helpers/rule-harness';
import { PROPERTY_RUN_TIMEOUT } from '../helpers/timeouts';
import { WARNING_OUTCOMES, type WarningOutcome, warningOutcome } from '../helpers/warning-check';

const inbound = loadEvent('inbound.json');
const TAG = '[EXTERNAL]';
const FROM = 'From: Mallory <mallory@outside.example>';
const DATE = 'Date: Tue, 01 Dec 2026 10:00:00 +0000';
const HEAD = [FROM, 'To: bob@corp.example', 'Subject: Invoice', DATE, 'MIME-Version: 1.0'];
const text = (body: string, ...headers: string[]) =>
  part(['Content-Type: text/plain; charset=utf-8', ...headers], body);
const mail = (head: string[], content: Buffer) => withTopHeaders(head, content);
const without = (name: string) => HEAD.filter((line) => !line.startsWith(`${name}:`));
/** The text, then one attachment. */
const withAttachment = (headers: string[], body: string) =>
  mail(HEAD, multipart('mixed', 'm', [text('Pay now'), part(headers, body)]));

/**
 * Each way a sender (or a broken client) made the engine decline or WorkMail refuse the rewrite,
 * which delivered the original without any warning under the old fallback.
 */
const CASES: [string, () => Buffer, WarningOutcome][] = [
  [
    'no closing boundary',
    () => mail(HEAD, multipart('mixed', 'm', [text('Pay now')], [], { unclosed: true })),
    'repaired',
  ],
  [
    'a boundary two nested multiparts share',
    () =>
      mail(HEAD, multipart('mixed', 'same', [multipart('alternative', 'same', [text('Pay now')])])),
    'wrapped',
  ],
  ['a bare CR in the text', () => mail(HEAD, text('Pay\rnow')), 'repaired'],
  [
    'an attachment line over 998 octets',
    () =>
      withAttachment(
        ['Content-Type: application/octet-stream', 'Content-Disposition: attachment'],
        'z'.repeat(5000),
      ),
    'repaired',
  ],
  [
    'more than 1,000 parts',
    () =>
      mail(
        HEAD,
        multipart('mixed', 'm', [
          text('Pay now'),
          ...Array.from({ length: 1100 }, () => part(['Content-Type: text/x-pad'], 'x')),
        ]),
      ),
    'wrapped',
  ],
  [
    'padding that the banner pushes past 40 MiB',
    () =>
      withAttachment(
        ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64'],
        `${'QUFB'.repeat(19)}\r\n`.repeat(Math.ceil((40 * 1024 * 1024) / 78)),
      ),
    'junked',
  ],
  [
    'a header block too large to read (judged from outside, as nothing proves otherwise)',
    () =>
      mail(
        [...HEAD, ...Array.from({ length: 30_000 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(40)}`)],
        text('Pay now'),
      ),
    'junked',
  ],
  ['two Subject: headers', () => mail([...HEAD, 'Subject: Second'], text('Pay now')), 'wrapped'],
  [
    'two Message-ID: headers',
    () => mail([...HEAD, 'Message-ID: <a@x>', 'Message-ID: <b@x>'], text('Pay now')),
    'wrapped',
  ],
  ['no Date:', () => mail(without('Date'), text('Pay now')), 'repaired'],
  [
    'raw 8-bit bytes in a part declared 7bit',
    () =>
      withAttachment(
        ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: 7bit'],
        'caf\xe9',
      ),
    'repaired',
  ],
];

describe('the warning always arrives on mail from outside, through the handler', () => {
  let harness: Harness;
  let sequence = 0;

  beforeAll(async () => {
    harness = await startHarness({}, bundledPolicy(), { contentRules: 'assumed' });
  });

  afterAll(async () => {
    await harness.services.close();
  });

  async function outcomeOf(message: Buffer): Promise<WarningOutcome> {
    const messageId = `arrives-${++sequence}`;
    harness.services.emulator.addMessage(messageId, message);
    const result = await harness.run({ ...inbound, messageId, invocationId: `${messageId}-i` });
    const outcome = warningOutcome(harness, messageId, result, TAG);
    harness.services.emulator.removeMessage(messageId);
    return outcome;
  }

  it.each(CASES)('warns about a message with %s', async (_case, build, expected) => {
    expect(await outcomeOf(build())).toBe(expected);
  });

  it('moves signed mail to junk, its subject tagged, when WorkMail refuses the wrap', async () => {
    const messageId = 'arrives-signed';
    harness.services.emulator.addMessage(messageId, readFixture('signed.eml'));
    harness.services.emulator.failNext('put', { kind: 'error', error: 'MessageRejected' });
    const result = await harness.run({ ...inbound, messageId, invocationId: `${messageId}-i` });
    expect(result).toMatchObject({ outcome: 'junked-by-fallback' });
    expect(warningOutcome(harness, messageId, result, TAG)).toBe('junked');
    // The rewrite that could only tag the subject (signed content stays) was put before the answer.
    expect(
      topHeader(harness.services.emulator.message(messageId) ?? Buffer.alloc(0), 'subject'),
    ).toMatch(/^\[EXTERNAL\] /);
  });

  it(
    'warns about every mutated message (fuzz)',
    async () => {
      const seeds = fuzzSeeds();
      const counts = new Map<WarningOutcome, number>();
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), mutations, async (seed, steps) => {
          const outcome = await outcomeOf(mutated(seeds[seed] as Buffer, steps));
          counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
          expect(outcome).not.toBe('without-warning');
        }),
        { seed: 20261202, numRuns: 150 },
      );
      console.log(
        `warning fuzz: ${WARNING_OUTCOMES.map((o) => `${o} ${counts.get(o) ?? 0}`).join(', ')}`,
      );
    },
    PROPERTY_RUN_TIMEOUT,
  );
});
