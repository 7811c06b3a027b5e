import { loadEvent } from '../../local/events';
import { THROTTLING } from '../../local/message-flow-emulator';
import { sharedBoundaryMessage } from '../helpers/build-mime';
import { readFixture } from '../helpers/mime';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');

describe('metrics through the handler', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({}, testPolicy({ fallback: { bounce: 'No.' } }));
  });

  afterEach(async () => {
    await harness.services.close();
  });

  it('records one measure per invocation, for every kind of outcome, with no identifier in it', async () => {
    const { emulator } = harness.services;
    emulator.addMessage('ok-1', readFixture('alternative-with-pdf.eml'));
    emulator.addMessage('broken-1', sharedBoundaryMessage());
    emulator.addMessage('slow-1', readFixture('plain-7bit.eml'));

    await harness.run({ ...inbound, messageId: 'ok-1' });
    await harness.run({ ...inbound, messageId: 'ok-1' });
    await harness.run({ ...inbound, messageId: 'broken-1', invocationId: 'other-invocation' });
    await harness.run(loadEvent('outbound.json'));
    emulator.failNext('get', THROTTLING, 2);
    await harness.run({ ...inbound, messageId: 'slow-1' }).catch(() => undefined);

    expect(harness.measures.map((m) => [m.outcome, m.direction, m.reason])).toEqual([
      ['rewritten', 'INBOUND', undefined],
      ['already-rewritten', 'INBOUND', undefined],
      ['bounced-by-fallback', 'INBOUND', 'declined-ambiguous-boundary'],
      ['no-rule-applies', 'OUTBOUND', undefined],
      ['retry', 'INBOUND', 'throttled'],
    ]);
    expect(harness.measures[0]).toMatchObject({
      bytes: 8298,
      streamMs: expect.any(Number),
      putMs: expect.any(Number),
    });
    expect(harness.measures.every((m) => m.budgetLeftMs > 0)).toBe(true);
    const text = JSON.stringify(harness.measures);
    expect(text).not.toMatch(/@|ok-1|broken-1|slow-1|6f1e2d3c/);
  });
});
