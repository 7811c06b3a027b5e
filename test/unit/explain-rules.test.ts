import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { explainRules, type MessageFacts } from '../../lambda/policy/evaluate';
import { parsePolicy } from '../../lambda/policy/load-policy';
import { inboundFacts } from '../helpers/message-facts';

const PASS =
  'amazonses.com; spf=pass smtp.mailfrom=corp.example; dmarc=pass header.from=corp.example';

function whyOf(facts: MessageFacts, rule = 'Warn about external senders') {
  const explained = explainRules(bundledPolicy(), facts).find((r) => r.rule === rule);
  return { explained, sender: explained?.when.find((v) => v.condition === 'sender: external') };
}

describe('explainRules', () => {
  it('says why an internal message is left alone: the DMARC pass for a company domain', () => {
    const { explained, sender } = whyOf(inboundFacts('ceo@corp.example', [PASS]));
    expect(explained?.applies).toBe(false);
    expect(sender).toEqual({
      condition: 'sender: external',
      holds: false,
      why: "internal: the From: domain corp.example is one of organizationDomains and the receiving service's DMARC check passed for it",
    });
  });

  it('names a company domain missing from organizationDomains as the cause of a warning', () => {
    const { explained, sender } = whyOf(inboundFacts('colleague@corp-group.example', [PASS]));
    expect(explained?.applies).toBe(true);
    expect(sender?.why).toBe(
      'external: the From: domain corp-group.example is not one of organizationDomains (corp.example)',
    );
  });

  it.each([
    [[], 'the message has no Authentication-Results header'],
    [
      ['amazonses.com; dmarc=none header.from=corp.example'],
      "the receiving service's DMARC result is none",
    ],
    [
      ['mx.evil.example; dmarc=pass header.from=corp.example'],
      'its topmost Authentication-Results header is not from amazonses.com',
    ],
    [
      [PASS, PASS],
      'it has 2 Authentication-Results headers from amazonses.com (a sender could have written one), so none counts',
    ],
    [
      ['amazonses.com; dmarc=pass header.from=evil.example'],
      'DMARC passed for evil.example, not for it',
    ],
  ])('says why a company From: is not proven internal (%j)', (headers, reason) => {
    expect(whyOf(inboundFacts('ceo@corp.example', headers)).sender).toEqual({
      condition: 'sender: external',
      holds: true,
      why: `external: the From: domain corp.example is one of organizationDomains, but not proven: ${reason}`,
    });
  });

  it('names no address but the event’s own', () => {
    const text = JSON.stringify(
      explainRules(bundledPolicy(), inboundFacts('Eve <eve.private@corp.example>', [PASS])),
    );
    expect(text).not.toContain('eve.private');
  });

  it('judges every condition and exception, says which pattern matched, and marks rules after a stop', () => {
    const policy = parsePolicy(
      {
        organizationDomains: ['corp.example'],
        rules: [
          {
            name: 'Partner exempt',
            when: { direction: 'INBOUND' },
            unless: {
              senders: ['*.partner.example', 'partner.example'],
              subjectContains: ['[SECURE]'],
            },
            actions: { subjectTag: '[EXTERNAL]' },
            stop: true,
          },
          { name: 'Later', actions: { headers: { 'X-Later': 'yes' } } },
        ],
      },
      'test',
    );
    const partner = {
      ...inboundFacts('alice@partner.example'),
      envelopeSender: 'alice@partner.example',
    };
    const [exempt, later] = explainRules(policy, partner);
    expect(exempt).toEqual({
      rule: 'Partner exempt',
      audit: false,
      applies: false,
      when: [{ condition: 'direction: INBOUND', holds: true, why: 'the message is INBOUND' }],
      unless: [
        {
          condition: 'senders: "*.partner.example", "partner.example"',
          holds: true,
          why: 'the envelope sender alice@partner.example matches "partner.example"',
        },
        {
          condition: 'subjectContains: "[SECURE]"',
          holds: false,
          why: 'the subject contains none of them',
        },
      ],
    });
    expect(later?.stoppedBy).toBeUndefined();

    const [stopper, afterStop] = explainRules(policy, inboundFacts('x@other.example'));
    expect(stopper?.applies).toBe(true);
    expect(afterStop).toMatchObject({ rule: 'Later', stoppedBy: 'Partner exempt' });
  });

  it('leaves undecided what needs the message when it is not read', () => {
    const { message: _, ...envelopeOnly } = inboundFacts('x@other.example');
    expect(whyOf(envelopeOnly).sender).toEqual({
      condition: 'sender: external',
      holds: undefined,
      why: 'the message is not read yet',
    });
  });
});
