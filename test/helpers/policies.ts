import { parsePolicy } from '../../lambda/policy/load-policy';
import type { Policy } from '../../lambda/policy/schema';

export const CAUTION_TEXT =
  'CAUTION: This email originated from outside the organization. Do not click links or open attachments unless you recognize the sender.';

/** A policy that tags and footers all inbound mail: the behaviour most integration tests check. */
export function testPolicy(overrides: Record<string, unknown> = {}): Policy {
  return parsePolicy(
    {
      organizationDomains: ['corp.example'],
      rules: [
        {
          name: 'Tag inbound',
          when: { direction: 'INBOUND' },
          actions: {
            subjectTag: '[EXTERNAL]',
            footer: { text: CAUTION_TEXT, html: `<p style="color:#c00">${CAUTION_TEXT}</p>` },
          },
        },
      ],
      ...overrides,
    },
    'test policy',
  );
}
