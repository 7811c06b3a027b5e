import { domainToASCII } from 'node:url';
import { z } from 'zod';

/**
 * The rewrite policy's schema: the one source of truth for validating the policy file (at
 * `cdk synth` and at the function's cold start), for its TypeScript types, and for the table in
 * docs/policy.md (generated from these descriptions; a test keeps it current).
 */

const INBOUND_ONLY = new Set(['MOVE_TO_JUNK', 'BYPASS_SPAM_CHECK']);
/** WorkMail answers at most 10 actions; two are kept for "everyone else" and added recipients. */
const MAX_DELIVER_RULES = 8;

/** A domain, internationalised or not, optionally `*.` for its subdomains. */
export function asciiDomain(domain: string): string | undefined {
  const bare = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (!bare || bare.includes('*') || /[\s@/]/.test(bare)) return undefined;
  const ascii = domainToASCII(bare.toLowerCase());
  return ascii ? (domain.startsWith('*.') ? `*.${ascii}` : ascii) : undefined;
}

const domainPattern = z.string().refine((value) => asciiDomain(value) !== undefined, {
  message: 'expected a domain such as example.com, or *.example.com for its subdomains',
});

/** Characters and pairs that mean something in a regular expression and nothing in a glob. */
const REGEX_LIKE = /[\^$()[\]{}|\\]|\.[*+?]/;

const addressPattern = z
  .string()
  .refine((value) => !REGEX_LIKE.test(value), {
    message:
      'looks like a regular expression; patterns are an address, a domain (example.com, *.example.com) or a glob with * (news*@example.com)',
    abort: true,
  })
  .refine(
    (value) => {
      if (value === '*') return true;
      const at = value.lastIndexOf('@');
      if (at < 0) return asciiDomain(value) !== undefined;
      const local = value.slice(0, at);
      return local !== '' && !/\s/.test(local) && asciiDomain(value.slice(at + 1)) !== undefined;
    },
    {
      message:
        'expected an address (user@example.com), a domain (example.com, *.example.com) or a pattern with * (news*@example.com)',
    },
  );

const singleLine = z
  .string()
  .min(1)
  .refine((value) => !/[\r\n]/.test(value), { message: 'must be one line (no line breaks)' });

const multiLine = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value.join('\n') : value));

const bodyText = z.strictObject({
  text: multiLine
    .optional()
    .describe('For text/plain bodies. An array of lines is joined with line breaks.'),
  html: multiLine
    .optional()
    .describe(
      'For text/html bodies, inserted as given inside `<div data-mail-rewrite-<token>="…">`. An array is joined.',
    ),
});

const conditions = z
  .strictObject({
    direction: z
      .enum(['INBOUND', 'OUTBOUND'])
      .optional()
      .describe('The flow direction of the WorkMail rule that called the function.'),
    sender: z
      .enum(['internal', 'external'])
      .optional()
      .describe(
        'Internal: the sender is in `organizationDomains` and, on inbound mail, proven so by a passing DMARC result from the receiving service.',
      ),
    senders: z
      .array(addressPattern)
      .min(1)
      .optional()
      .describe(
        'Any of these matches the envelope sender (case-insensitive, `+tag` ignored). Anyone can forge it: never exempt mail from a warning with it.',
      ),
    recipients: z
      .array(addressPattern)
      .min(1)
      .optional()
      .describe('Any of these matches any envelope recipient.'),
    authenticatedFrom: z
      .array(domainPattern)
      .min(1)
      .optional()
      .describe(
        'The `From:` domain is one of these and the receiving service proved it: `dmarc=pass` for that domain in the topmost `Authentication-Results` header, written by `amazonses.com` (as for `sender: internal`). On outbound mail: the envelope sender’s domain. The one exemption from a warning that a stranger cannot forge.',
      ),
    subjectContains: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('The decoded Subject contains any of these (case-insensitive).'),
    headerContains: z
      .record(z.string().regex(/^[\x21-\x39\x3b-\x7e]+$/, 'expected a header name'), z.string())
      .optional()
      .describe('Each named header exists and contains the text (`""`: just exists).'),
    sizeAtLeast: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Message size in bytes, from the fetched message.'),
    sizeBelow: z.number().int().min(1).optional().describe('Message size in bytes.'),
  })
  .describe('All given conditions must hold; a list matches when any entry does.');

const deliverAction = z
  .strictObject({
    action: z
      .enum(['DEFAULT', 'BOUNCE', 'DROP', 'MOVE_TO_JUNK', 'BYPASS_SPAM_CHECK'])
      .describe('`MOVE_TO_JUNK` and `BYPASS_SPAM_CHECK` only on inbound rules.'),
    bounceMessage: singleLine.optional().describe('Only with `BOUNCE`: the text of the bounce.'),
    recipients: z
      .array(addressPattern)
      .min(1)
      .optional()
      .describe('Apply only to these recipients (default: all).'),
  })
  .describe('What WorkMail does with the message, per recipient.');

const fallbackStep = z.union([
  z.literal('deliver'),
  z.literal('wrap'),
  z.literal('junk'),
  z.strictObject({ bounce: singleLine.describe('The text of the bounce.') }),
]);

const fallback = z
  .union([fallbackStep, z.array(fallbackStep).min(1)])
  .describe(
    'When the content cannot be changed (signed mail, broken MIME, refused by WorkMail): `deliver` it without the change; `wrap` it (a new message carries the banner, the subject tag and the original as an attachment: `message/rfc822` when the original meets WorkMail’s content rules, else base64 `original.eml`; attachment scanners then see it only inside the attachment); `junk` (inbound only: `MOVE_TO_JUNK` for every recipient delivered normally, with the subject tagged when that part of the rewrite could be put); or `{ "bounce": "…" }`. A list is tried in order until one succeeds (`["wrap", "junk"]`: junk when the wrap fails); `junk` is skipped on outbound mail.',
  );

const actions = z.strictObject({
  subjectTag: singleLine
    .optional()
    .describe('Put in front of the Subject, e.g. `[EXTERNAL]`; never twice.'),
  banner: bodyText
    .optional()
    .describe(
      'Put at the top of the displayed body. `{{sender}}`, `{{recipientDomain}}` and `{{date}}` are filled in (HTML-escaped in `html`).',
    ),
  footer: bodyText
    .optional()
    .describe('Put at the end of the displayed body; placeholders as in `banner`.'),
  headers: z
    .record(
      z.string().regex(/^X-[A-Za-z0-9-]{1,70}$/, 'expected a header name that starts with X-'),
      singleLine,
    )
    .optional()
    .describe('Headers to set on the message (`X-` names only).'),
  deliver: deliverAction.optional(),
  addRecipients: z
    .array(z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected an email address'))
    .min(1)
    .optional()
    .describe(
      'Also deliver to these addresses (e.g. a compliance copy); on inbound mail they must be in `organizationDomains`.',
    ),
});

const rule = z.strictObject({
  name: singleLine.describe('Shown in logs and replay.'),
  when: conditions.optional().describe('Conditions; omitted: every message.'),
  unless: conditions
    .optional()
    .describe('Exceptions of the same kinds: the rule does not apply when any of them holds.'),
  actions: actions.describe(
    'What the rule does; content changes come from the first rule that makes each.',
  ),
  fallback: fallback.optional().describe("Overrides the policy's fallback for this rule."),
  stop: z.boolean().default(false).describe('Stop evaluating later rules when this one applies.'),
  audit: z
    .boolean()
    .default(false)
    .describe(
      'Audit only (test mode): the rule is evaluated and the function logs what it would change (parts, headers, sizes, actions), but the message and the answer stay as the other rules make them. For rolling a rule out safely on live mail.',
    ),
});

export const policySchema = z
  .strictObject({
    $schema: z.string().optional().describe('Ignored; lets editors find a JSON schema.'),
    organizationDomains: z
      .array(domainPattern)
      .min(1)
      .describe('The organization’s own domains (`*.example.com` for subdomains).'),
    markerHeader: z
      .string()
      .regex(/^X-[A-Za-z0-9-]{1,70}$/, 'expected a header name that starts with X-')
      .default('X-Mail-Rewrite-Id')
      .describe('Header that marks a message as rewritten by this function.'),
    fallback: fallback.default('deliver'),
    autoGenerated: z
      .enum(['no-body-change', 'rewrite'])
      .default('no-body-change')
      .describe(
        'Machine-written mail: delivery and read reports (`multipart/report`), `Auto-Submitted` other than `no`, calendar answers (`text/calendar; method=REPLY`, also inside a multipart). `no-body-change` leaves its body as it is: a banner on a receipt helps nobody and can break the parser at the other end. The subject tag and headers still apply, because a sender can forge these signals. `rewrite` treats it like any other mail.',
      ),
    cleanReplies: z
      .boolean()
      .default(false)
      .describe(
        'On outbound mail, take this policy’s inbound subject tags and banners out of the subject and the quoted thread, so partners never see `[EXTERNAL]` in their own conversation. Off by default: in forwards and Outlook replies the tag stays in the quoted header block (see Clean replies).',
      ),
    rules: z
      .array(rule)
      .describe(
        'Evaluated in order; every rule whose conditions hold applies (until one says `stop`).',
      ),
  })
  .superRefine((policy, context) => {
    const names = new Set<string>();
    let deliverRules = 0;
    policy.rules.forEach((r, i) => {
      const at = (...path: (string | number)[]) => ['rules', i, ...path];
      if (names.has(r.name))
        context.addIssue({
          code: 'custom',
          path: at('name'),
          message: `rule name "${r.name}" is used twice`,
        });
      names.add(r.name);
      const deliver = r.actions.deliver;
      if (deliver) deliverRules++;
      if (fallbackStepsOf(r.fallback).includes('junk') && r.when?.direction !== 'INBOUND') {
        context.addIssue({
          code: 'custom',
          path: at('fallback'),
          message: 'junk is an inbound fallback: add "when": { "direction": "INBOUND" }',
        });
      }
      if (deliver && INBOUND_ONLY.has(deliver.action) && r.when?.direction !== 'INBOUND') {
        context.addIssue({
          code: 'custom',
          path: at('actions', 'deliver', 'action'),
          message: `${deliver.action} is an inbound action: add "when": { "direction": "INBOUND" }`,
        });
      }
      if (deliver?.bounceMessage && deliver.action !== 'BOUNCE') {
        context.addIssue({
          code: 'custom',
          path: at('actions', 'deliver', 'bounceMessage'),
          message: 'a bounce message goes with the BOUNCE action only',
        });
      }
      for (const [j, address] of (r.actions.addRecipients ?? []).entries()) {
        const domain = address.slice(address.lastIndexOf('@') + 1);
        if (
          r.when?.direction !== 'OUTBOUND' &&
          !domainMatches(policy.organizationDomains, domain)
        ) {
          context.addIssue({
            code: 'custom',
            path: at('actions', 'addRecipients', j),
            message:
              'on inbound mail WorkMail only adds recipients of the organization: use an address in organizationDomains, or make the rule "direction": "OUTBOUND"',
          });
        }
      }
    });
    if (deliverRules > MAX_DELIVER_RULES) {
      context.addIssue({
        code: 'custom',
        path: ['rules'],
        message: `at most ${MAX_DELIVER_RULES} rules may set "deliver" (WorkMail answers at most 10 actions)`,
      });
    }
  });

/** Whether `domain` (ASCII or not) is one of `patterns` (`example.com`, `*.example.com`). */
export function domainMatches(patterns: readonly string[], domain: string): boolean {
  const ascii = asciiDomain(domain);
  if (!ascii) return false;
  return patterns.some((pattern) => {
    const p = asciiDomain(pattern);
    if (!p) return false;
    return p.startsWith('*.') ? ascii.endsWith(p.slice(1)) : ascii === p;
  });
}

/** The policy as the function uses it, after validation and defaults. */
export type Policy = z.output<typeof policySchema>;
export type PolicyRule = Policy['rules'][number];
export type Conditions = NonNullable<PolicyRule['when']>;
export type RuleActions = PolicyRule['actions'];
export type Fallback = Policy['fallback'];
export type FallbackStep = z.output<typeof fallbackStep>;

/** The bounce a fallback ends in, if it has one. */
export function bounceStepOf(value: Fallback | undefined): { bounce: string } | undefined {
  return fallbackStepsOf(value).find((step) => typeof step === 'object');
}

/** A fallback as the list of steps it tries, in order. */
export function fallbackStepsOf(value: Fallback | undefined): FallbackStep[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
