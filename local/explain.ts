/**
 * Replay's and the preview's account of a run in words: for each policy rule whether its
 * conditions and exceptions held and why; for each part what was added, repaired or left alone
 * and why; the decoded subject; the attachments; and WorkMail's refusal, when it would refuse.
 * Local only: it names no address but the event's own.
 */
import { simpleParser } from 'mailparser';
import { explainRules, type RuleExplanation } from '../lambda/policy/evaluate';
import { eventFacts, factsOf } from '../lambda/policy/plan';
import type { Policy } from '../lambda/policy/schema';
import type { PartReport, RewriteReport, TopHeaders } from '../lambda/rewrite';
import type { WorkMailRunLambdaEvent } from '../lambda/workmail';

export interface Attachment {
  filename: string;
  contentType: string;
  bytes: number;
}

/** What a reader sees of a message besides its body: the decoded subject and the attachments. */
export interface MessageView {
  subject: string;
  attachments: Attachment[];
}

/** The decoded subject and the attachments (inline images included), as a mail client lists them. */
export async function messageView(message: Buffer): Promise<MessageView> {
  const parsed = await simpleParser(message, { skipHtmlToText: true, skipTextToHtml: true });
  return {
    subject: parsed.subject ?? '',
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? '(no name)',
      contentType: a.contentType,
      bytes: a.size,
    })),
  };
}

/** A run explained: what `--json` gives as `explanation`, and what the text and the page show. */
export interface RunExplanation {
  rules: RuleExplanation[];
  /** The decoded subject before, and after when the message was rewritten. */
  subject: { before: string; after?: string };
  /** What happened to the subject, the headers and each displayed part, and why. */
  changes: string[];
  attachments: Attachment[];
  /** Why nothing changed, when nothing did. */
  nothingChanged?: string;
  /** The text of WorkMail's refusal of the rewritten message (the emulator's model of it). */
  refusal?: string;
}

const SUBJECT_WORDS: Record<RewriteReport['subject'], string> = {
  tagged: 'tag put in front',
  'already-tagged': 'left alone: it already starts with the tag',
  added: 'added with the tag (the message had none)',
  cleaned: "this policy's inbound tag taken out (clean replies)",
  'not-configured': 'left alone: no rule that applies sets a tag',
};

function partWords(p: PartReport): string {
  const name = `${p.part} ${p.contentType}`;
  if (p.change === 'skipped') return `${name}: left alone: ${p.reason ?? 'no reason given'}`;
  if (p.change === 'already-present') {
    return `${name}: left alone: the banner or footer is already in place on trusted mail${p.reason ? ` (${p.reason})` : ''}`;
  }
  const done = [
    ...(p.added?.length ? [`${p.added.join(' and ')} added`] : []),
    ...(p.removed ? [`${p.removed} of this policy's banners taken out of the quoted thread`] : []),
    ...(p.neutralised
      ? [
          `${p.neutralised} copies of our mark written by someone else renamed, so they cannot pass for ours`,
        ]
      : []),
    ...(p.charset
      ? [
          `converted from ${p.charset.from} to ${p.charset.to}: the addition does not fit ${p.charset.from}`,
        ]
      : []),
    ...(p.transferEncoding
      ? [
          `re-encoded from ${p.transferEncoding.from} to ${p.transferEncoding.to}: it now holds non-ASCII text or a line over 998 octets`,
        ]
      : []),
    ...(p.reason ? [p.reason] : []),
  ];
  return `${name}: ${done.join('; ') || 'rewritten'}`;
}

/** What the engine did to the subject, the headers and each displayed part, and why. */
export function changeWords(report: RewriteReport, markerHeader: string): string[] {
  if (report.alreadyRewritten) {
    return ["already this invocation's own output (a retry): nothing changed"];
  }
  return [
    `Subject: ${SUBJECT_WORDS[report.subject]}`,
    ...report.headersSet.map((name) => `${name}: set (a rule that applies sets it)`),
    ...report.headersRemoved.map(
      (name) =>
        `${name}: removed: a rule of the policy sets it, none does on this message, and mail from outside cannot bring its own`,
    ),
    ...(report.foreignMarkerRemoved
      ? [`${markerHeader}: a copy written by someone else replaced (it proves nothing)`]
      : []),
    ...(report.lineEndingsFixed
      ? [`${report.lineEndingsFixed} bare line feeds repaired to CRLF (WorkMail takes CRLF only)`]
      : []),
    ...(report.bodyLeftAsIs === 'calendar-reply'
      ? ['body left as it is: the message answers an invitation']
      : []),
    ...report.parts.map(partWords),
  ];
}

function verdictWord(holds: boolean | undefined): string {
  return holds === undefined ? 'not known' : holds ? 'holds' : 'does not hold';
}

/** The rules, each with its conditions and exceptions and why, as text lines. */
function ruleLines(rules: readonly RuleExplanation[]): string[] {
  return rules.flatMap((r) => {
    const audit = r.audit ? ' (audit only)' : '';
    if (r.stoppedBy) return [`  - ${r.rule}${audit}: not evaluated: "${r.stoppedBy}" says stop`];
    const verdict =
      r.applies === undefined ? 'not known' : r.applies ? 'applies' : 'does not apply';
    return [
      `  ${r.applies ? '+' : '-'} ${r.rule}${audit}: ${verdict}`,
      ...(r.when.length ? [] : ['      when: (no condition: every message)']),
      ...r.when.map((v) => `      when ${v.condition}: ${verdictWord(v.holds)}: ${v.why}`),
      ...r.unless.map((v) => `      unless ${v.condition}: ${verdictWord(v.holds)}: ${v.why}`),
    ];
  });
}

/** The explanation as the lines replay prints. */
export function explanationLines(x: RunExplanation): string[] {
  return [
    'Why (each rule of the policy):',
    ...ruleLines(x.rules),
    ...(x.nothingChanged ? [`Nothing changed: ${x.nothingChanged}`] : []),
    ...(x.changes.length ? ['What changed and why:', ...x.changes.map((c) => `  ${c}`)] : []),
    `Subject (decoded): ${x.subject.before}${x.subject.after === undefined ? '' : `  ->  ${x.subject.after}`}`,
    x.attachments.length ? 'Attachments:' : 'Attachments: none',
    ...x.attachments.map((a) => `  ${a.filename} (${a.contentType}, ${a.bytes} bytes)`),
    ...(x.refusal ? [`WorkMail would refuse the rewritten message: ${x.refusal}`] : []),
  ];
}

/** What a run is explained from: the policy, the event, the message, and what became of it. */
export interface RunInput {
  policy: Policy;
  event: WorkMailRunLambdaEvent;
  original: Buffer;
  /** The original's top-level headers as the engine read them; absent when it could not. */
  headers: TopHeaders | undefined;
  rewritten?: Buffer;
  report?: RewriteReport;
  refusal?: string;
}

/** Why nothing changed, when nothing did and the run did not fail. */
function whyNothingChanged(input: RunInput, rules: readonly RuleExplanation[]): string | undefined {
  if (input.rewritten || input.refusal) return undefined;
  if (!rules.some((r) => !r.audit && r.applies === true)) {
    return 'no rule of the policy applies (see why above)';
  }
  if (input.report?.alreadyRewritten) return "the message is already this invocation's output";
  if (input.report && !input.report.parts.some((p) => p.change === 'rewritten')) {
    return 'the rules that apply find nothing to change';
  }
  return undefined;
}

/** Explains one run: rules, changes, subject, attachments, refusal. */
export async function explainRun(input: RunInput): Promise<RunExplanation> {
  const facts = input.headers
    ? factsOf(input.event, input.headers, input.original.length)
    : eventFacts(input.event);
  const rules = explainRules(input.policy, facts);
  const before = await messageView(input.original);
  const after = input.rewritten ? await messageView(input.rewritten) : undefined;
  const nothingChanged = whyNothingChanged(input, rules);
  return {
    rules,
    subject: { before: before.subject, ...(after ? { after: after.subject } : {}) },
    changes: input.report ? changeWords(input.report, input.policy.markerHeader) : [],
    attachments: before.attachments,
    ...(nothingChanged ? { nothingChanged } : {}),
    ...(input.refusal ? { refusal: input.refusal } : {}),
  };
}
