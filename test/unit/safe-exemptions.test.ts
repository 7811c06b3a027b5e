import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { applicableRules, type MessageFacts } from '../../lambda/policy/evaluate';
import { PolicyError, parsePolicy } from '../../lambda/policy/load-policy';
import { policyWarnings } from '../../lambda/policy/policy-warnings';
import type { Policy } from '../../lambda/policy/schema';
import { inboundFacts } from '../helpers/message-facts';

const WARN = {
  name: 'Warn',
  when: { direction: 'INBOUND', sender: 'external' },
  actions: { subjectTag: '[EXTERNAL]', banner: { text: 'CAUTION' } },
};

function policyOf(rules: unknown[]): Policy {
  return parsePolicy({ organizationDomains: ['corp.example'], rules }, 'test');
}

describe('authenticatedFrom', () => {
  const policy = policyOf([
    { ...WARN, unless: { authenticatedFrom: ['partner.example', '*.partner.example'] } },
  ]);
  const rulesFor = (facts: MessageFacts) => applicableRules(policy, facts).map((r) => r.name);

  it.each([
    ['the service passed DMARC for the partner', 'a@partner.example', 'partner.example', []],
    ['a subdomain the pattern names', 'a@eu.partner.example', 'eu.partner.example', []],
  ])('exempts when %s', (_case, from, passed, expected) => {
    expect(
      rulesFor(inboundFacts(from, [`amazonses.com; dmarc=pass header.from=${passed}`])),
    ).toEqual(expected);
  });

  it.each([
    ['no Authentication-Results', []],
    ['DMARC failed', ['amazonses.com; dmarc=fail header.from=partner.example']],
    [
      'a pass written by someone else',
      ['mx.partner.example; dmarc=pass header.from=partner.example'],
    ],
    [
      'a forged service header below the real one',
      ['amazonses.com; dmarc=none', 'amazonses.com; dmarc=pass header.from=partner.example'],
    ],
    ['a pass for another domain', ['amazonses.com; dmarc=pass header.from=evil.example']],
  ])('warns all the same with %s', (_case, results) => {
    expect(rulesFor(inboundFacts('a@partner.example', results))).toEqual(['Warn']);
  });

  it('is not proven before the headers are read', () => {
    const { message: _message, ...envelope } = inboundFacts('a@partner.example', []);
    expect(applicableRules(policy, envelope)).toEqual([]);
  });
});

describe('sender patterns', () => {
  it.each([
    '.*@partner.example',
    '^alice@partner.example$',
    '(alice|bob)@partner.example',
    'partner\\.example',
    '[ab]lice@partner.example',
  ])('rejects %s, which looks like a regular expression', (pattern) => {
    expect(() => policyOf([{ ...WARN, when: { senders: [pattern] } }])).toThrow(PolicyError);
    expect(() => policyOf([{ ...WARN, when: { senders: [pattern] } }])).toThrow(
      /looks like a regular expression/,
    );
  });

  it.each(['news*@*.example', 'bob+billing@corp.example', '*.partner.example', '*'])(
    'accepts the glob %s',
    (pattern) => {
      expect(() => policyOf([{ ...WARN, when: { senders: [pattern] } }])).not.toThrow();
    },
  );
});

describe('policyWarnings', () => {
  it('has nothing to say about the shipped policy', () => {
    expect(policyWarnings(bundledPolicy())).toEqual([]);
  });

  it.each([
    ['senders', ['partner.example']],
    ['subjectContains', ['[EXTERNAL]']],
    ['headerContains', { 'X-Partner': 'yes' }],
  ])('warns when a warning rule is exempted by %s', (key, value) => {
    const warnings = policyWarnings(policyOf([{ ...WARN, unless: { [key]: value } }]));
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^rules\\[0\\]\\.unless\\.${key}: `)),
    ]);
  });

  it('warns about a stop rule on a forgeable condition before the warning', () => {
    const skip = {
      name: 'Partner',
      when: { senders: ['partner.example'] },
      actions: {},
      stop: true,
    };
    expect(policyWarnings(policyOf([skip, WARN]))).toEqual([
      expect.stringMatching(/^rules\[0\]\.when\.senders: this stop rule comes before/),
    ]);
  });

  it('says nothing of proven exemptions, bounces, or forgeable conditions that warn more', () => {
    const proven = { ...WARN, unless: { authenticatedFrom: ['partner.example'] } };
    const bounce = {
      name: 'Bounce',
      when: { senders: ['spammy.example'] },
      actions: { deliver: { action: 'BOUNCE' } },
      stop: true,
    };
    const more = { ...WARN, name: 'Also', when: { subjectContains: ['invoice'] } };
    expect(policyWarnings(policyOf([bounce, proven, more]))).toEqual([]);
  });
});
