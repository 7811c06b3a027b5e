import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { sharedBoundaryMessage } from '../helpers/build-mime';
import { leafParts, readFixture, topHeader } from '../helpers/mime';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');

function event(messageId: string): WorkMailRunLambdaEvent {
  return { ...structuredClone(inbound), messageId };
}

const LIVE_TAG = {
  name: 'Tag inbound',
  when: { direction: 'INBOUND' },
  actions: { subjectTag: '[EXTERNAL]' },
};
const AUDITED_BANNER = {
  name: 'New banner (audit)',
  audit: true,
  when: { direction: 'INBOUND' },
  actions: {
    banner: { text: 'NEW BANNER', html: '<p>NEW BANNER</p>' },
    headers: { 'X-Audit-Test': 'yes' },
    deliver: { action: 'MOVE_TO_JUNK' },
  },
};

describe('audit-only rules', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.services.close();
  });

  async function objects(): Promise<string[]> {
    const listed = await harness.services.clients.s3.send(
      new ListObjectsV2Command({ Bucket: harness.config.bucket }),
    );
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  it('answers with the real outcome when the audit’s copy fails at the head before the decision', async () => {
    // A bare CR in a top-level header: both copies decline it while the headers are read, the
    // audit's before anyone waits for it (this ended the process with an unhandled rejection).
    harness = await startHarness({}, testPolicy({ rules: [LIVE_TAG, AUDITED_BANNER] }));
    harness.services.emulator.addMessage(
      'a-cr',
      Buffer.from('From: a@example.net\r\nSubject: one\rtwo\r\n\r\nhello\r\n'),
    );

    const result = await harness.run(event('a-cr'));

    expect(result.reason).toBe('declined-bare-cr');
    // Its headers were never read: there is nothing the audit rules could be judged on.
    expect(result.audit).toBeUndefined();
  });

  it('logs what they would change, and the mail and the answer follow the live rules only', async () => {
    harness = await startHarness({}, testPolicy({ rules: [LIVE_TAG, AUDITED_BANNER] }));
    harness.services.emulator.addMessage('a-1', readFixture('alternative-with-pdf.eml'));

    const result = await harness.run(event('a-1'));

    // The real run: the tag only, delivered as usual.
    expect(result).toMatchObject({ outcome: 'rewritten', rules: ['Tag inbound'] });
    expect(result.response.actions).toEqual([{ action: { type: 'DEFAULT' }, allRecipients: true }]);
    const put = harness.services.emulator.message('a-1') ?? Buffer.alloc(0);
    expect(topHeader(put, 'Subject')).toBe('[EXTERNAL] Quarterly figures');
    expect(topHeader(put, 'X-Audit-Test')).toBeUndefined();
    expect((await leafParts(put)).map((p) => p.decoded.toString())).not.toContainEqual(
      expect.stringContaining('NEW BANNER'),
    );
    // What the audit rule would have done: reported, and logged without content.
    expect(result.audit).toMatchObject({
      rules: ['Tag inbound', 'New banner (audit)'],
      response: { actions: [{ action: { type: 'MOVE_TO_JUNK' }, allRecipients: true }] },
      report: { subject: 'tagged', headersSet: ['X-Audit-Test'] },
    });
    expect(result.audit?.report?.parts.map((p) => [p.part, p.added])).toEqual([
      ['1.1', ['banner']],
      ['1.2', ['banner']],
    ]);
    const logged = harness.log.entries.find((e) => e.message.startsWith('audit:'));
    expect(logged?.attributes).toMatchObject({
      outcome: 'audit-would-rewrite',
      rules: ['Tag inbound', 'New banner (audit)'],
      actions: [{ type: 'MOVE_TO_JUNK', allRecipients: true }],
      headersSet: ['X-Audit-Test'],
      parts: [
        { part: '1.1', change: 'rewritten', added: ['banner'] },
        { part: '1.2', change: 'rewritten', added: ['banner'] },
      ],
      bytesIn: expect.any(Number),
      bytesOut: expect.any(Number),
    });
    expect(await objects()).toEqual([`rewritten/${inbound.invocationId}`]);
  });

  it('puts nothing, uploads nothing and answers DEFAULT when only an audit rule applies', async () => {
    harness = await startHarness({}, testPolicy({ rules: [AUDITED_BANNER] }));
    const original = readFixture('plain-7bit.eml');
    harness.services.emulator.addMessage('a-2', original);

    const result = await harness.run(event('a-2'));

    expect(result).toMatchObject({ outcome: 'unchanged', rules: [] });
    expect(result.response.actions).toEqual([{ action: { type: 'DEFAULT' }, allRecipients: true }]);
    expect(result.audit?.report?.parts).toMatchObject([{ change: 'rewritten', added: ['banner'] }]);
    expect(harness.services.emulator.updates).toHaveLength(0);
    expect(harness.services.emulator.message('a-2')?.equals(original)).toBe(true);
    expect(await objects()).toEqual([]);
  });

  it('reads a large message to the end for the audit after the real run stopped early', async () => {
    harness = await startHarness({}, testPolicy({ rules: [AUDITED_BANNER] }));
    const big = Buffer.concat([
      readFixture('plain-7bit.eml'),
      Buffer.from(`${'x'.repeat(900)}\r\n`.repeat(5000)),
    ]);
    harness.services.emulator.addMessage('a-5', big);

    const result = await harness.run(event('a-5'));

    expect(result.outcome).toBe('unchanged');
    expect(result.audit).toMatchObject({ outcome: 'audit-would-rewrite' });
    expect(result.audit?.report?.bytesIn).toBe(big.length);
  });

  it('does not take a sender’s header away because an audit-only rule would set it', async () => {
    harness = await startHarness({}, testPolicy({ rules: [LIVE_TAG, AUDITED_BANNER] }));
    const raw = Buffer.concat([
      Buffer.from('X-Audit-Test: the senders\r\n'),
      readFixture('plain-7bit.eml'),
    ]);
    harness.services.emulator.addMessage('a-6', raw);

    const result = await harness.run(event('a-6'));

    expect(result.report?.headersRemoved).toEqual([]);
    const put = harness.services.emulator.message('a-6') ?? Buffer.alloc(0);
    expect(topHeader(put, 'X-Audit-Test')).toBe('the senders');
  });

  it('says nothing when no audit rule applies', async () => {
    harness = await startHarness(
      {},
      testPolicy({
        rules: [
          LIVE_TAG,
          {
            ...AUDITED_BANNER,
            when: { direction: 'INBOUND', subjectContains: ['no such subject'] },
          },
        ],
      }),
    );
    harness.services.emulator.addMessage('a-3', readFixture('plain-7bit.eml'));

    const result = await harness.run(event('a-3'));

    expect(result.outcome).toBe('rewritten');
    expect(result.audit).toBeUndefined();
    expect(harness.log.entries.filter((e) => e.message.startsWith('audit:'))).toEqual([]);
  });

  it('reports the decline the audit rules would meet, and the real run is not affected', async () => {
    harness = await startHarness({}, testPolicy({ rules: [AUDITED_BANNER] }));
    const broken = sharedBoundaryMessage();
    harness.services.emulator.addMessage('a-4', broken);

    const result = await harness.run(event('a-4'));

    expect(result.outcome).toBe('unchanged');
    expect(result.audit).toMatchObject({ reason: 'declined-ambiguous-boundary' });
    const warned = harness.log.entries.find((e) => e.message.startsWith('audit:'));
    expect(warned).toMatchObject({ level: 'warn' });
    expect(warned?.attributes).toMatchObject({ outcome: 'audit-would-fall-back' });
  });
});
