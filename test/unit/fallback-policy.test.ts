import { PolicyError, parsePolicy } from '../../lambda/policy/load-policy';
import { junkResponse } from '../../lambda/policy/response';
import { bounceStepOf, fallbackStepsOf } from '../../lambda/policy/schema';

const WARN = { name: 'Warn', actions: { subjectTag: '[EXTERNAL]' } };

function policyOf(rule: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parsePolicy({ organizationDomains: ['corp.example'], rules: [rule], ...extra }, 'test');
}

describe('fallback lists', () => {
  it('reads a single step or a list, tried in order', () => {
    const policy = policyOf(
      { ...WARN, when: { direction: 'INBOUND' }, fallback: ['wrap', 'junk'] },
      { fallback: { bounce: 'No.' } },
    );
    expect(fallbackStepsOf(policy.rules[0]?.fallback)).toEqual(['wrap', 'junk']);
    expect(fallbackStepsOf(policy.fallback)).toEqual([{ bounce: 'No.' }]);
    expect(bounceStepOf(['wrap', { bounce: 'No.' }])).toEqual({ bounce: 'No.' });
  });

  it('takes junk only on an inbound rule, naming the field', () => {
    expect(() => policyOf({ ...WARN, fallback: ['wrap', 'junk'] })).toThrow(PolicyError);
    expect(() => policyOf({ ...WARN, fallback: 'junk' })).toThrow(
      /rules\[0\]\.fallback: junk is an inbound fallback/,
    );
  });

  it('rejects an empty list and an unknown step', () => {
    expect(() => policyOf({ ...WARN, fallback: [] })).toThrow(PolicyError);
    expect(() => policyOf({ ...WARN, fallback: ['retry'] })).toThrow(PolicyError);
  });
});

describe('junkResponse', () => {
  it('moves normal and spam-bypassing delivery to junk, and keeps bounces, drops and junk', () => {
    const response = junkResponse({
      actions: [
        { action: { type: 'BOUNCE', parameters: { bounceMessage: 'no' } }, recipients: ['a@x'] },
        { action: { type: 'DROP' }, recipients: ['b@x'] },
        { action: { type: 'BYPASS_SPAM_CHECK' }, recipients: ['c@x'] },
        { action: { type: 'DEFAULT' }, allRecipients: true },
      ],
    });
    expect(response.actions.map((a) => a.action.type)).toEqual([
      'BOUNCE',
      'DROP',
      'MOVE_TO_JUNK',
      'MOVE_TO_JUNK',
    ]);
    expect(response.actions[3]).toEqual({ action: { type: 'MOVE_TO_JUNK' }, allRecipients: true });
  });
});
