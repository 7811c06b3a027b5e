import { addressMatches, fromAddress } from '../../lambda/policy/addresses';
import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { decide, templateValues } from '../../lambda/policy/decide';
import { dmarcPassDomain } from '../../lambda/policy/dmarc';
import {
  anyRuleMayApply,
  applicableRules,
  type MessageFacts,
  senderIsInternal,
} from '../../lambda/policy/evaluate';
import { PolicyError, parsePolicy } from '../../lambda/policy/load-policy';
import { buildResponse } from '../../lambda/policy/response';
import type { Policy } from '../../lambda/policy/schema';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';

const ORG = ['corp.example', '*.corp.example'];
const PASS =
  'amazonses.com;\r\n spf=pass (spfCheck: domain of corp.example; ok) smtp.mailfrom=ceo@corp.example;\r\n dkim=pass header.i=@corp.example;\r\n dmarc=pass header.from=corp.example;';

function policyOf(rules: unknown[], extra: Record<string, unknown> = {}): Policy {
  return parsePolicy({ organizationDomains: ORG, rules, ...extra }, 'test');
}

function facts(
  overrides: Partial<MessageFacts> = {},
  message: Partial<NonNullable<MessageFacts['message']>> & {
    headers?: Record<string, string[]>;
  } = {},
): MessageFacts {
  const { headers = {}, ...rest } = message;
  return {
    direction: 'INBOUND',
    envelopeSender: 'alice@partner.example',
    recipients: ['bob@corp.example'],
    message: { subject: 'Hello', header: (name) => headers[name.toLowerCase()] ?? [], ...rest },
    ...overrides,
  };
}

describe('addressMatches', () => {
  it.each([
    ['bob@corp.example', 'Bob@CORP.example', true],
    ['corp.example', 'x@corp.example', true],
    ['corp.example', 'x@sales.corp.example', false],
    ['*.corp.example', 'x@sales.corp.example', true],
    ['*.corp.example', 'x@corp.example', false],
    ['news*@partner.example', 'newsletter@partner.example', true],
    ['news*@partner.example', 'news@partner.example', true],
    ['news*@partner.example', 'info@partner.example', false],
    ['bob@corp.example', 'bob+billing@corp.example', true],
    ['bob+billing@corp.example', 'bob+billing@corp.example', true],
    ['bob+billing@corp.example', 'bob@corp.example', false],
    ['münchen.example', 'info@xn--mnchen-3ya.example', true],
    ['xn--mnchen-3ya.example', 'info@MÜNCHEN.example', true],
    ['*', 'anyone@anywhere.example', true],
    ['bob@corp.example', 'not an address', false],
  ])('%s matches %s: %s', (pattern, address, expected) => {
    expect(addressMatches(pattern, address)).toBe(expected);
  });
});

describe('fromAddress', () => {
  it.each([
    ['Alice Partner <alice@partner.example>', 'alice@partner.example'],
    ['"Smith, Bob" <bob@corp.example>', 'bob@corp.example'],
    ['alice@partner.example', 'alice@partner.example'],
    ['alice@partner.example (Alice)', 'alice@partner.example'],
    ['undisclosed-recipients:;', undefined],
  ])('finds the address in %s', (value, address) => {
    expect(fromAddress(value)).toBe(address);
  });
});

describe('dmarcPassDomain', () => {
  it.each([
    ['a pass from the receiving service', [PASS], 'corp.example'],
    ['a failed DMARC check', ['amazonses.com; dmarc=fail header.from=corp.example'], undefined],
    [
      'another authserv-id on top',
      ['mx.evil.example; dmarc=pass header.from=corp.example', PASS],
      undefined,
    ],
    [
      'a pass written by the sender below the service’s own',
      ['amazonses.com; dmarc=none', 'amazonses.com; dmarc=pass header.from=corp.example'],
      undefined,
    ],
    [
      'a pass on top with a second amazonses.com header below it',
      [PASS, 'AmazonSES.com; dmarc=pass header.from=corp.example'],
      undefined,
    ],
    ['no header at all', [], undefined],
    [
      'a semicolon inside a comment',
      [
        'amazonses.com; spf=pass (a; b) smtp.mailfrom=x@corp.example; dmarc=pass (p=none; dis=none) header.from=corp.example',
      ],
      'corp.example',
    ],
  ])('reads %s', (_case, headers, domain) => {
    expect(dmarcPassDomain(headers)).toBe(domain);
  });
});

describe('senderIsInternal', () => {
  const policy = policyOf([]);
  it.each([
    [
      'outbound mail from the organization',
      facts({ direction: 'OUTBOUND', envelopeSender: 'bob@corp.example' }),
      true,
    ],
    [
      'outbound mail from a subdomain',
      facts({ direction: 'OUTBOUND', envelopeSender: 'bob@eu.corp.example' }),
      true,
    ],
    ['inbound mail from outside', facts(), false],
    [
      'inbound company mail with a passing DMARC result',
      facts(
        { envelopeSender: 'ceo@corp.example' },
        { from: 'ceo@corp.example', headers: { 'authentication-results': [PASS] } },
      ),
      true,
    ],
    [
      'a spoofed company From: without authentication results',
      facts({ envelopeSender: 'x@evil.example' }, { from: 'ceo@corp.example' }),
      false,
    ],
    [
      'a company From: with a pass for another domain',
      facts(
        {},
        {
          from: 'ceo@corp.example',
          headers: {
            'authentication-results': ['amazonses.com; dmarc=pass header.from=evil.example'],
          },
        },
      ),
      false,
    ],
  ])('%s: %s', (_case, f, expected) => {
    expect(senderIsInternal(policy, f)).toBe(expected);
  });

  it('cannot tell for inbound mail before the headers are read', () => {
    expect(senderIsInternal(policy, { ...facts(), message: undefined })).toBeUndefined();
  });
});

describe('applicableRules', () => {
  const policy = policyOf([
    {
      name: 'external',
      when: { direction: 'INBOUND', sender: 'external' },
      unless: { senders: ['*@trusted.example'], subjectContains: ['[EXTERNAL]'] },
      actions: { subjectTag: '[EXTERNAL]' },
    },
    { name: 'large', when: { sizeAtLeast: 1000 }, actions: { headers: { 'X-Large': 'yes' } } },
    {
      name: 'flagged',
      when: { headerContains: { 'X-Spam-Flag': 'yes' } },
      actions: {},
      stop: true,
    },
    { name: 'recipients', when: { recipients: ['*@legal.corp.example'] }, actions: {} },
  ]);
  const names = (f: MessageFacts) => applicableRules(policy, f).map((r) => r.name);

  it.each([
    ['an external sender', facts(), ['external']],
    ['an exception by sender', facts({ envelopeSender: 'x@trusted.example' }), []],
    ['an exception by subject, case-insensitive', facts({}, { subject: 'Re: [external] hi' }), []],
    ['a large message', facts({}, { size: 5000 }), ['external', 'large']],
    ['a message of unknown size', facts({}, {}), ['external']],
    [
      'stop after a flagged message',
      facts({ recipients: ['x@legal.corp.example'] }, { headers: { 'x-spam-flag': ['YES'] } }),
      ['external', 'flagged'],
    ],
    [
      'a recipient pattern',
      facts({ recipients: ['a@corp.example', 'x@legal.corp.example'] }),
      ['external', 'recipients'],
    ],
  ])('for %s: %o', (_case, f, expected) => {
    expect(names(f)).toEqual(expected);
  });

  it('judges from the event alone whether any rule may apply', () => {
    const inboundOnly = policyOf([
      { name: 'in', when: { direction: 'INBOUND', sender: 'external' }, actions: {} },
    ]);
    const event = {
      direction: 'OUTBOUND' as const,
      envelopeSender: 'bob@corp.example',
      recipients: ['a@partner.example'],
    };
    expect(anyRuleMayApply(inboundOnly, event)).toBe(false);
    expect(anyRuleMayApply(inboundOnly, { ...event, direction: 'INBOUND' })).toBe(true);
  });
});

describe('buildResponse', () => {
  const event = structuredClone(loadEvent('inbound.json')) as WorkMailRunLambdaEvent;
  event.envelope.recipients = [{ address: 'bob@corp.example' }, { address: 'legal@corp.example' }];
  const rules = (list: unknown[]) => policyOf(list).rules;

  it.each([
    ['no delivery rules', [], [{ action: { type: 'DEFAULT' }, allRecipients: true }]],
    [
      'a bounce for everyone',
      [
        {
          name: 'b',
          actions: { deliver: { action: 'BOUNCE', bounceMessage: 'Not accepted here.' } },
        },
      ],
      [
        {
          action: { type: 'BOUNCE', parameters: { bounceMessage: 'Not accepted here.' } },
          allRecipients: true,
        },
      ],
    ],
    [
      'a drop for one recipient',
      [{ name: 'd', actions: { deliver: { action: 'DROP', recipients: ['legal@corp.example'] } } }],
      [
        { action: { type: 'DROP' }, recipients: ['legal@corp.example'] },
        { action: { type: 'DEFAULT' }, allRecipients: true },
      ],
    ],
    [
      'the first rule that names a recipient',
      [
        {
          name: 'junk',
          when: { direction: 'INBOUND' },
          actions: { deliver: { action: 'MOVE_TO_JUNK', recipients: ['bob@corp.example'] } },
        },
        { name: 'all', actions: { deliver: { action: 'DROP' } } },
      ],
      [
        { action: { type: 'MOVE_TO_JUNK' }, recipients: ['bob@corp.example'] },
        { action: { type: 'DROP' }, allRecipients: true },
      ],
    ],
    [
      'a journaling copy',
      [{ name: 'j', actions: { addRecipients: ['Journal@corp.example', 'bob@corp.example'] } }],
      [
        { action: { type: 'DEFAULT' }, allRecipients: true },
        { action: { type: 'DEFAULT' }, recipients: ['journal@corp.example'] },
      ],
    ],
  ])('answers %s', (_case, list, actions) => {
    expect(buildResponse(event, rules(list))).toEqual({ actions });
  });
});

describe('decide', () => {
  const event = structuredClone(loadEvent('inbound.json')) as WorkMailRunLambdaEvent;
  event.envelope.mailFrom.address = 'x"<script>@partner.example';
  const policy = policyOf([
    {
      name: 'warn',
      actions: {
        subjectTag: '[EXT {{sender}}]',
        banner: {
          text: 'From {{sender}} on {{date}}',
          html: '<p>From {{sender}} to {{recipientDomain}}</p>',
        },
        headers: { 'X-Origin': 'from {{sender}}' },
      },
    },
  ]);

  it('fills placeholders, HTML-escaped in HTML and on one line everywhere', () => {
    const values = templateValues(event, 'Tue, 24 Nov 2026\r\n 10:00:00 +0000');
    const { content } = decide(policy, event, facts(), values);
    expect(content.banner?.html).toBe(
      '<p>From x&quot;&lt;script&gt;@partner.example to corp.example</p>',
    );
    expect(content.banner?.text).toBe(
      'From x"<script>@partner.example on Tue, 24 Nov 2026   10:00:00 +0000',
    );
    expect(content.headers).toEqual([['X-Origin', 'from x"<script>@partner.example']]);
    expect(content.subjectTag).not.toMatch(/[\r\n]/);
  });

  it('gives the same content for the same message every time (retries write the same)', () => {
    const values = templateValues(event, 'Tue, 24 Nov 2026 10:00:00 +0000');
    expect(decide(policy, event, facts(), values)).toEqual(decide(policy, event, facts(), values));
  });
});

describe('parsePolicy', () => {
  it('accepts the policy that ships with the repository', () => {
    expect(bundledPolicy().rules.map((r) => r.name)).toEqual([
      'Warn about external senders',
      'Legal disclaimer on outgoing mail',
    ]);
  });

  it('joins an array of lines into one text', () => {
    const policy = policyOf([{ name: 'a', actions: { footer: { text: ['one', 'two'] } } }]);
    expect(policy.rules[0]?.actions.footer?.text).toBe('one\ntwo');
  });

  it.each([
    [
      { organizationDomains: undefined },
      'organizationDomains: Invalid input: expected array, received undefined',
    ],
    [
      { organizationDomains: [] },
      'organizationDomains: Too small: expected array to have >=1 items',
    ],
    [
      { organizationDomains: ['corp example'] },
      'organizationDomains[0]: expected a domain such as example.com',
    ],
    [{ rules: [{ name: 'a', actions: {}, colour: 'red' }] }, 'rules[0]: unknown field "colour"'],
    [
      { rules: [{ name: 'a', actions: { subjectTag: '[X]\r\nBcc: a@b' } }] },
      'rules[0].actions.subjectTag: must be one line',
    ],
    [
      { rules: [{ name: 'a', actions: { headers: { Subject: 'x' } } }] },
      'rules[0].actions.headers.Subject: expected a header name that starts with X-',
    ],
    [
      { rules: [{ name: 'a', when: { direction: 'SIDEWAYS' } as never, actions: {} }] },
      'rules[0].when.direction: Invalid option: expected one of "INBOUND"|"OUTBOUND"',
    ],
    [
      { rules: [{ name: 'a', when: { senders: ['bob@'] }, actions: {} }] },
      'rules[0].when.senders[0]: expected an address',
    ],
    [
      { rules: [{ name: 'a', actions: { deliver: { action: 'BYPASS_SPAM_CHECK' } } }] },
      'rules[0].actions.deliver.action: BYPASS_SPAM_CHECK is an inbound action',
    ],
    [
      { rules: [{ name: 'a', actions: { deliver: { action: 'DROP', bounceMessage: 'x' } } }] },
      'rules[0].actions.deliver.bounceMessage: a bounce message goes with the BOUNCE action only',
    ],
    [
      { rules: [{ name: 'a', actions: { addRecipients: ['archive@elsewhere.example'] } }] },
      'rules[0].actions.addRecipients[0]: on inbound mail WorkMail only adds recipients of the organization',
    ],
    [
      {
        rules: [
          { name: 'a', actions: {} },
          { name: 'a', actions: {} },
        ],
      },
      'rules[1].name: rule name "a" is used twice',
    ],
    [
      {
        rules: Array.from({ length: 9 }, (_, i) => ({
          name: `r${i}`,
          actions: { deliver: { action: 'DEFAULT' } },
        })),
      },
      'rules: at most 8 rules may set "deliver"',
    ],
    [{ fallback: 'retry' }, 'fallback: Invalid input'],
  ])('names the path of a bad value (%#)', (change, message) => {
    const input = { organizationDomains: ORG, rules: [], ...change };
    expect(() => parsePolicy(input, 'policy/policy.json')).toThrow(PolicyError);
    expect(() => parsePolicy(input, 'policy/policy.json')).toThrow(message);
  });
});
