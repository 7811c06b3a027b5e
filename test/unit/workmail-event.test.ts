import { InvalidEventError } from '../../lambda/errors';
import { parseWorkMailEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';

const base = loadEvent('inbound.json');

function withChange(change: (event: Record<string, unknown>) => void): unknown {
  const event = structuredClone(base) as unknown as Record<string, unknown>;
  change(event);
  return event;
}

describe('parseWorkMailEvent', () => {
  it('returns the documented fields of a valid event', () => {
    expect(parseWorkMailEvent(structuredClone(base))).toEqual(base);
  });

  it('accepts an unknown summaryVersion and ignores extra fields', () => {
    const event = withChange((e) => {
      e.summaryVersion = '2031-01-01';
      e.organizationId = 'm-0123';
    });
    const parsed = parseWorkMailEvent(event);
    expect(parsed.summaryVersion).toBe('2031-01-01');
    expect(parsed).not.toHaveProperty('organizationId');
  });

  it('accepts a null or absent sender', () => {
    expect(parseWorkMailEvent(withChange((e) => (e.sender = null))).sender).toBeUndefined();
    expect(parseWorkMailEvent(withChange((e) => delete e.sender)).sender).toBeUndefined();
  });

  it.each([
    ['absent', (e: { envelope: Record<string, unknown> }) => delete e.envelope.mailFrom],
    ['null', (e: { envelope: Record<string, unknown> }) => (e.envelope.mailFrom = null)],
    [
      'empty',
      (e: { envelope: Record<string, unknown> }) => (e.envelope.mailFrom = { address: '' }),
    ],
    ['without address', (e: { envelope: Record<string, unknown> }) => (e.envelope.mailFrom = {})],
  ])('reads an %s envelope sender as the null sender', (_case, change) => {
    const event = withChange((e) => change(e as { envelope: Record<string, unknown> }));
    expect(parseWorkMailEvent(event).envelope.mailFrom).toEqual({ address: '' });
  });

  it('accepts any message id the service model admits (its pattern is not anchored)', () => {
    const parsed = parseWorkMailEvent(withChange((e) => (e.messageId = 'ABC_1.x')));
    expect(parsed.messageId).toBe('ABC_1.x');
  });

  it.each([
    [
      'a missing messageId',
      (e: Record<string, unknown>) => delete e.messageId,
      'messageId',
      /must be a non-empty string, got nothing/,
    ],
    [
      'a messageId longer than the API allows',
      (e: Record<string, unknown>) => (e.messageId = 'a'.repeat(121)),
      'messageId',
      /at most 120 characters/,
    ],
    [
      'an envelope sender that is not a string',
      (e: Record<string, unknown>) =>
        ((e.envelope as Record<string, unknown>).mailFrom = { address: 42 }),
      'envelope.mailFrom.address',
      /must be a string, got a number/,
    ],
    [
      'a wrong flowDirection',
      (e: Record<string, unknown>) => (e.flowDirection = 'SIDEWAYS'),
      'flowDirection',
      /must be INBOUND or OUTBOUND, got a string/,
    ],
    [
      'recipients that are not a list',
      (e: Record<string, unknown>) =>
        ((e.envelope as Record<string, unknown>).recipients = 'bob@corp.example'),
      'envelope.recipients',
      /must be a list, got a string/,
    ],
    [
      'a recipient without an address',
      (e: Record<string, unknown>) =>
        ((e.envelope as { recipients: unknown[] }).recipients[0] = {}),
      'envelope.recipients[0].address',
      /non-empty string/,
    ],
    [
      'a missing envelope',
      (e: Record<string, unknown>) => delete e.envelope,
      'envelope',
      /must be an object, got nothing/,
    ],
    [
      'a missing invocationId',
      (e: Record<string, unknown>) => (e.invocationId = ''),
      'invocationId',
      /got an empty string/,
    ],
    [
      'truncated as a string',
      (e: Record<string, unknown>) => (e.truncated = 'false'),
      'truncated',
      /must be a boolean, got a string/,
    ],
  ])('fails on %s, naming the field', (_case, change, field, message) => {
    const event = withChange(change);
    let thrown: unknown;
    try {
      parseWorkMailEvent(event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidEventError);
    expect((thrown as InvalidEventError).field).toBe(field);
    expect((thrown as InvalidEventError).message).toMatch(message);
  });

  it('fails on a payload that is not an object', () => {
    expect(() => parseWorkMailEvent('hello')).toThrow(
      'event field event must be an object, got a string',
    );
    expect(() => parseWorkMailEvent(null)).toThrow('got null');
  });
});
