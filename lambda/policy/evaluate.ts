import type { FlowDirection } from '../workmail';
import { addressMatches, domainOf } from './addresses';
import { dmarcVerdict } from './dmarc';
import { type Conditions, domainMatches, type Policy, type PolicyRule } from './schema';

/** What rule conditions look at. The event gives the envelope; the fetched message the rest. */
export interface MessageFacts {
  direction: FlowDirection;
  envelopeSender: string;
  recipients: readonly string[];
  /** Known once the message's headers are read; absent when deciding from the event alone. */
  message?: {
    /** Address in the `From:` header. */
    from?: string;
    /** Decoded Subject. */
    subject: string;
    /** Unfolded values of a header, in order. */
    header(name: string): string[];
    /** Size in bytes, when the service announced it. */
    size?: number;
  };
}

/** Whether the sender is internal (undefined: not known yet), and why in words. */
export interface SenderJudgement {
  internal: boolean | undefined;
  why: string;
}

/**
 * Internal means proven internal. Outbound mail was sent by a signed-in user of the organization.
 * Inbound mail counts as internal only when its `From:` domain is one of the organization's and
 * the receiving service's DMARC check passed for that domain: a spoofed company `From:` is external.
 * Undefined when that cannot be known yet (inbound, headers not read).
 */
export function judgeSender(policy: Policy, facts: MessageFacts): SenderJudgement {
  const envelopeDomain = domainOf(facts.envelopeSender);
  const domains = policy.organizationDomains.join(', ');
  if (facts.direction === 'OUTBOUND') {
    const internal =
      envelopeDomain !== undefined && domainMatches(policy.organizationDomains, envelopeDomain);
    return {
      internal,
      why: `outbound, from ${facts.envelopeSender}, whose domain is ${internal ? '' : 'not '}one of organizationDomains (${domains})`,
    };
  }
  if (!facts.message) return { internal: undefined, why: 'the message is not read yet' };
  const fromDomain = domainOf(facts.message.from) ?? envelopeDomain;
  if (!fromDomain) return { internal: false, why: 'the message names no sender domain' };
  if (!domainMatches(policy.organizationDomains, fromDomain)) {
    return {
      internal: false,
      why: `the From: domain ${fromDomain} is not one of organizationDomains (${domains})`,
    };
  }
  const dmarc = dmarcVerdict(facts.message.header('authentication-results'));
  if (dmarc.passed === fromDomain) {
    return {
      internal: true,
      why: `the From: domain ${fromDomain} is one of organizationDomains and the receiving service's DMARC check passed for it`,
    };
  }
  return {
    internal: false,
    why: `the From: domain ${fromDomain} is one of organizationDomains, but not proven: ${dmarc.passed ? `DMARC passed for ${dmarc.passed}, not for it` : dmarc.why}`,
  };
}

/** Whether the sender is proven internal; see `judgeSender`. */
export function senderIsInternal(policy: Policy, facts: MessageFacts): boolean | undefined {
  return judgeSender(policy, facts).internal;
}

/**
 * Whether the receiving service proved the sender's domain and it is one of `patterns`: inbound,
 * the `From:` domain with the service's DMARC pass for it; outbound, the envelope sender's domain
 * (a signed-in user sent it). Undefined when that cannot be known yet (inbound, headers not read).
 */
function judgeAuthenticatedFrom(
  patterns: readonly string[],
  facts: MessageFacts,
): { holds: boolean | undefined; why: string } {
  if (facts.direction === 'OUTBOUND') {
    const domain = domainOf(facts.envelopeSender);
    const holds = domain !== undefined && domainMatches(patterns, domain);
    return {
      holds,
      why: `outbound, from ${facts.envelopeSender}, whose domain ${holds ? 'matches' : 'matches none of them'}`,
    };
  }
  if (!facts.message) return { holds: undefined, why: 'the message is not read yet' };
  const domain = domainOf(facts.message.from);
  if (!domain) return { holds: false, why: 'the From: header names no domain' };
  if (!domainMatches(patterns, domain)) {
    return { holds: false, why: `the From: domain ${domain} matches none of them` };
  }
  const dmarc = dmarcVerdict(facts.message.header('authentication-results'));
  return dmarc.passed === domain
    ? {
        holds: true,
        why: `the From: domain ${domain} matches, and the receiving service's DMARC check passed for it`,
      }
    : {
        holds: false,
        why: `the From: domain ${domain} matches, but not proven: ${dmarc.passed ? `DMARC passed for ${dmarc.passed}, not for it` : dmarc.why}`,
      };
}

/** One condition or exception of a rule, judged, and why in words (no address but the event's). */
export interface ConditionVerdict {
  /** The condition as the policy writes it, e.g. `sender: external`. */
  condition: string;
  /** Undefined when it needs the message and the message is not read. */
  holds: boolean | undefined;
  why: string;
}

const NOT_READ = 'the message is not read yet';

function quoted(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** Each condition of a set judged on its own: one verdict per key. */
function verdicts(policy: Policy, c: Conditions, facts: MessageFacts): ConditionVerdict[] {
  const out: ConditionVerdict[] = [];
  if (c.direction) {
    out.push({
      condition: `direction: ${c.direction}`,
      holds: c.direction === facts.direction,
      why: `the message is ${facts.direction}`,
    });
  }
  if (c.senders) {
    const match = c.senders.find((p) => addressMatches(p, facts.envelopeSender));
    out.push({
      condition: `senders: ${quoted(c.senders)}`,
      holds: match !== undefined,
      why: `the envelope sender ${facts.envelopeSender} ${match ? `matches ${JSON.stringify(match)}` : 'matches none of them'}`,
    });
  }
  if (c.recipients) {
    const patterns = c.recipients;
    const match = facts.recipients
      .map((r) => ({ r, p: patterns.find((p) => addressMatches(p, r)) }))
      .find(({ p }) => p !== undefined);
    out.push({
      condition: `recipients: ${quoted(patterns)}`,
      holds: match !== undefined,
      why: match
        ? `the recipient ${match.r} matches ${JSON.stringify(match.p)}`
        : `none of the ${facts.recipients.length} recipient(s) matches`,
    });
  }
  if (c.sender) {
    const judged = judgeSender(policy, facts);
    out.push({
      condition: `sender: ${c.sender}`,
      holds:
        judged.internal === undefined ? undefined : judged.internal === (c.sender === 'internal'),
      why: `${judged.internal === undefined ? '' : judged.internal ? 'internal: ' : 'external: '}${judged.why}`,
    });
  }
  if (c.authenticatedFrom) {
    const judged = judgeAuthenticatedFrom(c.authenticatedFrom, facts);
    out.push({
      condition: `authenticatedFrom: ${quoted(c.authenticatedFrom)}`,
      holds: judged.holds,
      why: judged.why,
    });
  }
  const message = facts.message;
  if (c.subjectContains) {
    const subject = message?.subject.toLowerCase();
    const match = c.subjectContains.find((s) => subject?.includes(s.toLowerCase()));
    out.push({
      condition: `subjectContains: ${quoted(c.subjectContains)}`,
      holds: subject === undefined ? undefined : match !== undefined,
      why:
        subject === undefined
          ? NOT_READ
          : match
            ? `the subject contains ${JSON.stringify(match)}`
            : 'the subject contains none of them',
    });
  }
  if (c.headerContains) {
    const failing = message
      ? Object.entries(c.headerContains).find(
          ([name, text]) =>
            !message.header(name).some((value) => value.toLowerCase().includes(text.toLowerCase())),
        )
      : undefined;
    const missing = failing && message ? message.header(failing[0]).length === 0 : false;
    out.push({
      condition: `headerContains: ${Object.keys(c.headerContains).join(', ')}`,
      holds: message && failing === undefined,
      why: !message
        ? NOT_READ
        : !failing
          ? 'every header named is there with its text'
          : missing
            ? `the message has no ${failing[0]} header`
            : `${failing[0]} does not contain ${JSON.stringify(failing[1])}`,
    });
  }
  // A size the service did not announce matches no size condition.
  for (const [key, limit, fits] of [
    ['sizeAtLeast', c.sizeAtLeast, (size: number, n: number) => size >= n],
    ['sizeBelow', c.sizeBelow, (size: number, n: number) => size < n],
  ] as const) {
    if (limit === undefined) continue;
    const size = message?.size;
    out.push({
      condition: `${key}: ${limit}`,
      holds: message && size !== undefined && fits(size, limit),
      why: !message
        ? NOT_READ
        : size === undefined
          ? 'the size is not known'
          : `the message has ${size} bytes`,
    });
  }
  return out;
}

/** true / false, or undefined when a condition needs the message and it is not read yet. */
function allHold(results: readonly (boolean | undefined)[]): boolean | undefined {
  if (results.includes(false)) return false;
  return results.includes(undefined) ? undefined : true;
}

/** Whether a rule applies: its conditions hold and none of its exceptions does. */
function applies(policy: Policy, rule: PolicyRule, facts: MessageFacts): boolean | undefined {
  const when = rule.when ? allHold(verdicts(policy, rule.when, facts).map((v) => v.holds)) : true;
  if (when === false) return false;
  if (!rule.unless) return when;
  // Exceptions: the rule is off when any single one of them holds.
  const exceptions = verdicts(policy, rule.unless, facts).map((v) => v.holds);
  if (exceptions.includes(true)) return false;
  return when === undefined || exceptions.includes(undefined) ? undefined : true;
}

/** One rule judged on a message: whether it applies, and each condition and exception. */
export interface RuleExplanation {
  rule: string;
  audit: boolean;
  applies: boolean | undefined;
  when: ConditionVerdict[];
  unless: ConditionVerdict[];
  /** Set when an earlier rule that applied says `stop`: this one was not evaluated. */
  stoppedBy?: string;
}

/**
 * Every rule of the policy judged on a message, in words, for replay: which conditions and
 * exceptions held and why. Audit-only rules are judged as if live, and marked.
 */
export function explainRules(policy: Policy, facts: MessageFacts): RuleExplanation[] {
  let stoppedBy: string | undefined;
  return policy.rules.map((rule) => {
    const explanation: RuleExplanation = {
      rule: rule.name,
      audit: rule.audit,
      applies: applies(policy, rule, facts),
      when: rule.when ? verdicts(policy, rule.when, facts) : [],
      unless: rule.unless ? verdicts(policy, rule.unless, facts) : [],
      ...(stoppedBy ? { stoppedBy } : {}),
    };
    if (!stoppedBy && !rule.audit && rule.stop && explanation.applies === true)
      stoppedBy = rule.name;
    return explanation;
  });
}

/**
 * The rules that apply to a message, in order, up to the first that says `stop`. Without the
 * message (its headers could not be read), only rules proven from the envelope count, and the list
 * ends at a `stop` rule that may or may not apply: what follows it is not proven either.
 * Audit-only rules count only with `audit: true` (what the policy would do with them live).
 */
export function applicableRules(
  policy: Policy,
  facts: MessageFacts,
  { audit = false }: { audit?: boolean } = {},
): PolicyRule[] {
  const matched: PolicyRule[] = [];
  for (const rule of policy.rules) {
    if (rule.audit && !audit) continue;
    const applied = applies(policy, rule, facts);
    if (applied === undefined && rule.stop) break;
    if (applied !== true) continue;
    matched.push(rule);
    if (rule.stop) break;
  }
  return matched;
}

/**
 * Whether any rule might apply, judging from the event alone. When none can, the function answers
 * without fetching the message.
 */
export function anyRuleMayApply(policy: Policy, facts: Omit<MessageFacts, 'message'>): boolean {
  return policy.rules.some((rule) => applies(policy, rule, facts) !== false);
}
