import { escapeHtml } from '../html-escape';
import type { ContentPlan } from '../rewrite/rewrite-rules';
import type { WorkMailRunLambdaEvent, WorkMailSyncResponse } from '../workmail';
import { applicableRules, type MessageFacts, senderIsInternal } from './evaluate';
import { buildResponse } from './response';
import type { Fallback, Policy, PolicyRule } from './schema';

/** What the policy says about one message. */
export interface Decision {
  /** Names of the rules that apply, in order. */
  rules: string[];
  /** What to change in the message; empty when nothing is to change. */
  content: ContentPlan;
  response: WorkMailSyncResponse;
  /** What to do when the content cannot be changed. */
  fallback: Fallback;
}

/** Values for `{{placeholders}}`, fixed for a message, so a retried invocation writes the same. */
export interface TemplateValues {
  sender: string;
  recipientDomain: string;
  date: string;
}

function fill(template: string, values: TemplateValues, encode: (value: string) => string): string {
  return template.replace(
    /\{\{(sender|recipientDomain|date)\}\}/g,
    (_match, name: keyof TemplateValues) =>
      // Control characters never come through: no line breaks, so no header or line injection.
      encode(withoutControlCharacters(values[name])),
  );
}

function withoutControlCharacters(value: string): string {
  return Array.from(value, (c) =>
    c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c,
  ).join('');
}

const asText = (value: string) => value;
const asHtml = escapeHtml;

export function templateValues(
  event: WorkMailRunLambdaEvent,
  date: string | undefined,
): TemplateValues {
  const domains = event.envelope.recipients.map((r) =>
    r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase(),
  );
  return {
    sender: event.envelope.mailFrom.address,
    recipientDomain: [...new Set(domains)].join(', '),
    date: date?.trim() ?? '',
  };
}

function firstOf<K extends 'subjectTag' | 'banner' | 'footer'>(
  rules: readonly PolicyRule[],
  key: K,
) {
  return rules.find((rule) => rule.actions[key] !== undefined)?.actions[key];
}

/** The content plan of the rules that apply: for each change the first rule that makes it. */
function contentOf(rules: readonly PolicyRule[], values: TemplateValues): ContentPlan {
  const subjectTag = firstOf(rules, 'subjectTag');
  const banner = firstOf(rules, 'banner');
  const footer = firstOf(rules, 'footer');
  const headers = new Map<string, string>();
  for (const rule of rules) {
    for (const [name, value] of Object.entries(rule.actions.headers ?? {})) {
      if (!headers.has(name.toLowerCase()))
        headers.set(name.toLowerCase(), `${name}\u0000${fill(value, values, asText)}`);
    }
  }
  const body = (text: { text?: string; html?: string } | undefined) =>
    text && {
      ...(text.text ? { text: fill(text.text, values, asText) } : {}),
      ...(text.html ? { html: fill(text.html, values, asHtml) } : {}),
    };
  return {
    ...(subjectTag ? { subjectTag: fill(subjectTag, values, asText) } : {}),
    ...(banner ? { banner: body(banner) } : {}),
    ...(footer ? { footer: body(footer) } : {}),
    ...(headers.size
      ? { headers: [...headers.values()].map((entry) => entry.split('\u0000') as [string, string]) }
      : {}),
  };
}

/**
 * On inbound mail not proven internal, whatever of ours the message already carries was written by
 * a stranger: the engine neutralises marks and adds its own afresh, and headers that a rule of
 * the policy could set, but that no rule sets on this message, are removed (else a forged
 * `X-Mail-Origin: internal` would pass for ours).
 */
function distrustStrangers(policy: Policy, facts: MessageFacts, content: ContentPlan): ContentPlan {
  if (facts.direction !== 'INBOUND' || senderIsInternal(policy, facts) === true) return content;
  const set = new Set(content.headers?.map(([name]) => name.toLowerCase()));
  const owned = policy.rules.flatMap((rule) => Object.keys(rule.actions.headers ?? {}));
  const removeHeaders = [...new Set(owned.map((name) => name.toLowerCase()))].filter(
    (name) => !set.has(name),
  );
  return { ...content, untrusted: true, ...(removeHeaders.length ? { removeHeaders } : {}) };
}

/** Applies the policy to a message whose facts are known. */
export function decide(
  policy: Policy,
  event: WorkMailRunLambdaEvent,
  facts: MessageFacts,
  values: TemplateValues,
): Decision {
  const rules = applicableRules(policy, facts);
  return {
    rules: rules.map((rule) => rule.name),
    content: distrustStrangers(policy, facts, contentOf(rules, values)),
    response: buildResponse(event, rules),
    fallback: rules.find((rule) => rule.fallback)?.fallback ?? policy.fallback,
  };
}

/** Whether a content plan changes anything. */
export function changesContent(content: ContentPlan): boolean {
  return Boolean(
    content.subjectTag ||
      content.banner?.text ||
      content.banner?.html ||
      content.footer?.text ||
      content.footer?.html ||
      content.headers?.length,
  );
}
