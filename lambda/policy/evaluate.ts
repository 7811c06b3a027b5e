import type { FlowDirection } from '../workmail';
import {
  asciiDomain,
  type Conditions,
  domainMatches,
  type Policy,
  type PolicyRule,
} from './schema';

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

/** The parts of an address that patterns look at: lower case, ASCII domain, `+tag` separate. */
function parseAddress(
  address: string,
): { local: string; base: string; domain: string } | undefined {
  const trimmed = address.trim().replace(/^<|>$/g, '').toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return undefined;
  const domain = asciiDomain(trimmed.slice(at + 1));
  if (!domain) return undefined;
  const local = trimmed.slice(0, at);
  return { local, base: local.split('+')[0] ?? local, domain };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Whether an address matches a pattern: `*`; a domain (`example.com`, `*.example.com`); or
 * `local@domain` where the local part may hold `*`. Case-insensitive; internationalised domains
 * compare in their ASCII form; `user+tag@` also matches `user@`.
 */
export function addressMatches(pattern: string, address: string): boolean {
  if (pattern === '*') return true;
  const parsed = parseAddress(address);
  if (!parsed) return false;
  const at = pattern.lastIndexOf('@');
  if (at < 0) return domainMatches([pattern], parsed.domain);
  if (!domainMatches([pattern.slice(at + 1)], parsed.domain)) return false;
  const local = globToRegExp(pattern.slice(0, at).toLowerCase());
  return local.test(parsed.local) || local.test(parsed.base);
}

function domainOf(address: string | undefined): string | undefined {
  return address ? parseAddress(address)?.domain : undefined;
}

/** The address in a `From:` value: the last `<...>`, else the word with an `@`. */
export function fromAddress(value: string): string | undefined {
  const angle = [...value.matchAll(/<([^<>]*@[^<>]*)>/g)].at(-1)?.[1];
  return (
    angle ??
    value
      .split(/[\s,;]+/)
      .find((word) => word.includes('@'))
      ?.replace(/^["'(]+|["')]+$/g, '')
  );
}

/** Strips RFC 5322 comments, which may nest. */
function withoutComments(value: string): string {
  let depth = 0;
  let out = '';
  for (const char of value) {
    if (char === '(') depth++;
    else if (char === ')' && depth > 0) depth--;
    else if (depth === 0) out += char;
  }
  return out;
}

const RECEIVING_SERVICE = 'amazonses.com';

function authservIdOf(header: string): string {
  return withoutComments(header).split(';')[0]?.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
}

/**
 * The DMARC verdict of the receiving service: only the topmost Authentication-Results header
 * counts, and only when its authserv-id is `amazonses.com` (RFC 8601 section 5: a sender can
 * write such headers lower down). Returns the domain that passed DMARC, if any. When the message
 * carries more than one header with that authserv-id, none is trusted: whether the service adds
 * its own to every message is not confirmed, and a sender's copy could then be the topmost.
 */
export function dmarcPassDomain(authenticationResults: readonly string[]): string | undefined {
  const topmost = authenticationResults[0];
  if (!topmost || authservIdOf(topmost) !== RECEIVING_SERVICE) return undefined;
  const fromService = authenticationResults.filter((h) => authservIdOf(h) === RECEIVING_SERVICE);
  if (fromService.length > 1) return undefined;
  const [, ...results] = withoutComments(topmost).split(';');
  for (const result of results) {
    const tokens = result.trim().split(/\s+/);
    if (tokens[0]?.toLowerCase() !== 'dmarc=pass') continue;
    const from = tokens.find((t) => t.toLowerCase().startsWith('header.from='));
    return from ? asciiDomain(from.slice('header.from='.length).replace(/^@/, '')) : undefined;
  }
  return undefined;
}

/**
 * Internal means proven internal. Outbound mail was sent by a signed-in user of the organization.
 * Inbound mail counts as internal only when its `From:` domain is one of the organization's and
 * the receiving service's DMARC check passed for that domain: a spoofed company `From:` is external.
 * Undefined when that cannot be known yet (inbound, headers not read).
 */
export function senderIsInternal(policy: Policy, facts: MessageFacts): boolean | undefined {
  const envelopeDomain = domainOf(facts.envelopeSender);
  if (facts.direction === 'OUTBOUND') {
    return (
      envelopeDomain !== undefined && domainMatches(policy.organizationDomains, envelopeDomain)
    );
  }
  if (!facts.message) return undefined;
  const fromDomain = domainOf(facts.message.from) ?? envelopeDomain;
  if (!fromDomain || !domainMatches(policy.organizationDomains, fromDomain)) return false;
  const passed = dmarcPassDomain(facts.message.header('authentication-results'));
  return passed === fromDomain;
}

/**
 * Whether the receiving service proved the sender's domain and it is one of `patterns`: inbound,
 * the `From:` domain with the service's DMARC pass for it; outbound, the envelope sender's domain
 * (a signed-in user sent it). Undefined when that cannot be known yet (inbound, headers not read).
 */
function authenticatedFrom(patterns: readonly string[], facts: MessageFacts): boolean | undefined {
  if (facts.direction === 'OUTBOUND') {
    const domain = domainOf(facts.envelopeSender);
    return domain !== undefined && domainMatches(patterns, domain);
  }
  if (!facts.message) return undefined;
  const domain = domainOf(facts.message.from);
  if (!domain || !domainMatches(patterns, domain)) return false;
  return dmarcPassDomain(facts.message.header('authentication-results')) === domain;
}

/** true / false, or undefined when a condition needs the message and it is not read yet. */
function holds(policy: Policy, c: Conditions, facts: MessageFacts): boolean | undefined {
  const checks: (boolean | undefined)[] = [];
  if (c.direction) checks.push(c.direction === facts.direction);
  if (c.senders) checks.push(c.senders.some((p) => addressMatches(p, facts.envelopeSender)));
  if (c.recipients)
    checks.push(c.recipients.some((p) => facts.recipients.some((r) => addressMatches(p, r))));
  if (c.sender) {
    const internal = senderIsInternal(policy, facts);
    checks.push(internal === undefined ? undefined : internal === (c.sender === 'internal'));
  }
  if (c.authenticatedFrom) checks.push(authenticatedFrom(c.authenticatedFrom, facts));
  const message = facts.message;
  if (c.subjectContains) {
    const subject = message?.subject.toLowerCase();
    checks.push(
      subject === undefined
        ? undefined
        : c.subjectContains.some((s) => subject.includes(s.toLowerCase())),
    );
  }
  if (c.headerContains) {
    checks.push(
      message &&
        Object.entries(c.headerContains).every(([name, text]) =>
          message.header(name).some((value) => value.toLowerCase().includes(text.toLowerCase())),
        ),
    );
  }
  // A size the service did not announce matches no size condition.
  if (c.sizeAtLeast !== undefined)
    checks.push(message && message.size !== undefined && message.size >= c.sizeAtLeast);
  if (c.sizeBelow !== undefined)
    checks.push(message && message.size !== undefined && message.size < c.sizeBelow);
  if (checks.includes(false)) return false;
  return checks.includes(undefined) ? undefined : true;
}

/** Whether a rule applies: its conditions hold and none of its exceptions does. */
function applies(policy: Policy, rule: PolicyRule, facts: MessageFacts): boolean | undefined {
  const when = rule.when ? holds(policy, rule.when, facts) : true;
  if (when === false) return false;
  if (!rule.unless) return when;
  // Exceptions: the rule is off when any single one of them holds.
  const exceptions = Object.entries(rule.unless).map(([key, value]) =>
    holds(policy, { [key]: value } as Conditions, facts),
  );
  if (exceptions.includes(true)) return false;
  return when === undefined || exceptions.includes(undefined) ? undefined : true;
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
