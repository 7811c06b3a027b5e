import fc from 'fast-check';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { multipart, part, TOP, withTopHeaders } from '../helpers/build-mime';
import { readFixture } from '../helpers/mime';
import { firstBadLine } from '../helpers/mime-tree';
import { fuzzSeeds, mutated, mutations } from '../helpers/mutations';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';
import { PROPERTY_RUN_TIMEOUT } from '../helpers/timeouts';

const inbound = loadEvent('inbound.json');
const OK_OUTCOMES = [
  'rewritten',
  'unchanged',
  'already-rewritten',
  'delivered-unchanged-after-failure',
];

describe('hostile input through the handler', () => {
  let harness: Harness;
  let sequence = 0;
  const outcomes = new Map<string, number>();

  beforeAll(async () => {
    harness = await startHarness(
      {},
      testPolicy({
        rules: [
          {
            name: 'Tag and junk for one',
            when: { direction: 'INBOUND' },
            actions: {
              subjectTag: '[EXTERNAL]',
              banner: { text: 'EXTERNAL', html: '<b>EXTERNAL</b>' },
              footer: { text: 'Outside.', html: '<p>Outside.</p>' },
              deliver: { action: 'MOVE_TO_JUNK', recipients: ['r7@corp.example'] },
            },
          },
        ],
      }),
    );
  });

  afterAll(async () => {
    await harness.services.close();
  });

  async function rewrite(
    message: Buffer,
    change: (event: WorkMailRunLambdaEvent) => void = () => undefined,
  ) {
    const messageId = `hostile-${++sequence}`;
    harness.services.emulator.addMessage(messageId, message);
    const event = structuredClone({
      ...inbound,
      messageId,
      invocationId: `${messageId}-invocation`,
    });
    change(event);
    const result = await harness.run(event);
    expect(OK_OUTCOMES).toContain(result.outcome);
    // A fallback is fine for a message the engine declines, never for one WorkMail refused
    // (the emulator refuses what the engine should never write) or for a bug.
    if (result.outcome === 'delivered-unchanged-after-failure') {
      const rejection = JSON.stringify(harness.log.entries.at(-1)?.attributes.rejection);
      expect(`${result.reason} ${rejection}`).toMatch(/^declined-/);
    }
    outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    const stored = harness.services.emulator.message(messageId);
    if (result.outcome === 'rewritten')
      expect(firstBadLine(stored ?? Buffer.alloc(0))).toBeUndefined();
    return result;
  }

  it('answers a huge recipient list within WorkMail’s 10 actions', async () => {
    const result = await rewrite(readFixture('plain-7bit.eml'), (event) => {
      event.envelope.recipients = Array.from({ length: 50_000 }, (_, i) => ({
        address: `r${i}@corp.example`,
      }));
    });
    expect(result.response.actions.length).toBeLessThanOrEqual(10);
    expect(result.response.actions).toContainEqual({
      action: { type: 'MOVE_TO_JUNK' },
      recipients: ['r7@corp.example'],
    });
  });

  it('covers the recipients a truncated event left out through allRecipients', async () => {
    const result = await rewrite(readFixture('plain-7bit.eml'), (event) => {
      event.truncated = true;
    });
    expect(result.response.actions.some((a) => a.allRecipients === true)).toBe(true);
  });

  it('handles a multipart nested hundreds of levels deep', async () => {
    let nested = part(['Content-Type: text/plain'], 'deep text');
    for (let level = 0; level < 300; level++)
      nested = multipart('mixed', `level-${level}`, [nested]);
    await rewrite(withTopHeaders(TOP, nested));
  });

  it('re-encodes a text body of one 5 MB line, and repairs such a line in an attachment', async () => {
    const longText = part(['Content-Type: text/plain'], 'y'.repeat(5 * 1024 * 1024));
    expect((await rewrite(withTopHeaders(TOP, longText))).outcome).toBe('rewritten');
    const attachment = part(
      ['Content-Type: application/octet-stream', 'Content-Disposition: attachment'],
      'z'.repeat(5 * 1024 * 1024),
    );
    const repaired = await rewrite(
      withTopHeaders(
        TOP,
        multipart('mixed', 'm', [part(['Content-Type: text/plain'], 'hi'), attachment]),
      ),
    );
    expect(repaired).toMatchObject({
      outcome: 'rewritten',
      repairs: expect.arrayContaining([
        expect.objectContaining({ kind: 're-encoded-part', part: '2' }),
      ]),
    });
  });

  it('rewrites text with invalid base64 and quoted-printable into valid output', async () => {
    const badBase64 = part(
      ['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'],
      'SGVsbG8*#!\r\n===\r\nd29ybGQ',
    );
    const badQp = part(
      ['Content-Type: text/html', 'Content-Transfer-Encoding: quoted-printable'],
      '<p>a=ZZb=\r\n=4</p>=',
    );
    const result = await rewrite(withTopHeaders(TOP, multipart('mixed', 'm', [badBase64, badQp])));
    expect(result.outcome).toBe('rewritten');
  });

  it(
    'never crashes or writes invalid mail on mutated messages (fuzz)',
    async () => {
      const seeds = fuzzSeeds();
      const before = process.memoryUsage().heapUsed;
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), mutations, async (seedIndex, steps) => {
          const message = mutated(seeds[seedIndex] as Buffer, steps);
          await rewrite(message);
        }),
        { seed: 20261125, numRuns: 150 },
      );
      expect(outcomes.get('rewritten') ?? 0).toBeGreaterThan(50);
      // Memory stays bounded across the whole run.
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
    },
    PROPERTY_RUN_TIMEOUT,
  );
});
