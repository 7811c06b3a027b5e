import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Context } from 'aws-lambda';
import type { Config } from './config';
import { InvalidEventError, MissingMessageBodyError } from './errors';
import {
  classifyFailure,
  errorName,
  type FailureOutcome,
  isError,
  rejectionDetails,
} from './failure-outcome';
import type { MetricsPort } from './metrics';
import { objectKeyFor } from './object-key';
import { changesContent, cleansReplies, type Decision, hasAuditRules } from './policy/decide';
import { anyRuleMayApply } from './policy/evaluate';
import { envelopeDecision, eventFacts, policyPlan } from './policy/plan';
import { bounceStepOf, type Fallback, fallbackStepsOf, type Policy } from './policy/schema';
import type { Log, MessageFlow, MessageStore } from './ports';
import { type DeclineReason, RewriteDeclinedError } from './rewrite/rewrite-declined';
import { DEFAULT_MAX_OUTPUT_BYTES, startRewrite } from './rewrite/rewrite-message';
import type { ContentPlan, RewriteReport } from './rewrite/rewrite-rules';
import { type WrapAttachment, wrapMessage } from './rewrite/wrap-message';
import { sideCopy, tee } from './tee';
import { OutOfTimeError, startBudget } from './time-budget';
import {
  parseWorkMailEvent,
  type WorkMailRunLambdaEvent,
  type WorkMailSyncResponse,
} from './workmail';

/** Everything the rule needs from outside; tests and replay pass their own. */
export interface RuleDeps {
  messageFlow: MessageFlow;
  store: MessageStore;
  /** Where untouched originals are kept, when the deployment keeps them. */
  originals?: MessageStore;
  config: Config;
  policy: Policy;
  log: Log;
  /** One measure per invocation (CloudWatch metrics in production). */
  metrics?: MetricsPort;
  /** Milliseconds, for timings and the time budget. */
  now: () => number;
  /**
   * Takes what audit-only rules would have made of the message; by default it is read and
   * discarded (only the report is logged). Replay writes it to a file.
   */
  auditSink?: (message: Readable) => Promise<void>;
}

/** How one invocation ended, as logged and as replay reports it. */
export type RuleOutcome =
  | 'rewritten'
  | 'unchanged'
  | 'no-rule-applies'
  | 'already-rewritten'
  | 'bounced-by-fallback'
  | 'wrapped-by-fallback'
  | 'delivered-unchanged-after-failure';

export interface RuleResult {
  response: WorkMailSyncResponse;
  outcome: RuleOutcome;
  /** Names of the policy rules that applied. */
  rules?: string[];
  report?: RewriteReport;
  objectKey?: string;
  /** Why a failure, or an addition that could not be placed, led to the fallback. */
  reason?: string;
  /** Key of the untouched original in the originals bucket, when it was kept. */
  originalKey?: string;
  /** What the policy's audit-only rules would have done, when one of them applies. */
  audit?: AuditResult;
  timings?: { streamMs: number; putMs: number };
}

/** Normal delivery to every recipient. */
export function deliverToAll(): WorkMailSyncResponse {
  return { actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }] };
}

function bounceAll(bounceMessage: string): WorkMailSyncResponse {
  return {
    actions: [{ action: { type: 'BOUNCE', parameters: { bounceMessage } }, allRecipients: true }],
  };
}

/** Log fields that identify an invocation without revealing content or addresses. */
function eventFields(event: WorkMailRunLambdaEvent) {
  return {
    messageId: event.messageId,
    invocationId: event.invocationId,
    flowDirection: event.flowDirection,
    recipientCount: event.envelope.recipients.length,
    truncated: event.truncated,
  };
}

function reportFields(report: RewriteReport) {
  return {
    bytesIn: report.bytesIn,
    bytesOut: report.bytesOut,
    subject: report.subject,
    foreignMarkerRemoved: report.foreignMarkerRemoved,
    ...(report.bodyLeftAsIs ? { bodyLeftAsIs: report.bodyLeftAsIs } : {}),
    headersSet: report.headersSet,
    headersRemoved: report.headersRemoved,
    lineEndingsFixed: report.lineEndingsFixed,
    parts: report.parts.map(
      ({
        part,
        contentType,
        change,
        added,
        neutralised,
        removed,
        reason,
        transferEncoding,
        charset,
      }) => ({
        part,
        contentType,
        change,
        ...(added ? { added } : {}),
        ...(neutralised ? { neutralised } : {}),
        ...(removed ? { removed } : {}),
        ...(reason ? { reason } : {}),
        ...(transferEncoding ? { transferEncoding } : {}),
        ...(charset ? { charset } : {}),
      }),
    ),
  };
}

/** Whether the rewrite changed more than the marker (otherwise no Put is needed). */
function changedAnything(report: RewriteReport): boolean {
  return (
    report.subject === 'tagged' ||
    report.subject === 'cleaned' ||
    report.subject === 'added' ||
    report.headersSet.length > 0 ||
    report.headersRemoved.length > 0 ||
    report.parts.some((part) => part.change === 'rewritten')
  );
}

/** A banner or footer that was asked for and placed on no part (signed mail, say). */
function unplacedAddition(content: ContentPlan, report: RewriteReport): string | undefined {
  if (report.bodyLeftAsIs) return undefined;
  for (const role of ['banner', 'footer'] as const) {
    if (!content[role]?.text && !content[role]?.html) continue;
    const placed = report.parts.some(
      (p) => p.added?.includes(role) || p.change === 'already-present',
    );
    if (!placed) {
      const why =
        report.parts.find((p) => p.change === 'skipped')?.reason ??
        'no displayed text or HTML body';
      return `${role} not placed: ${why}`;
    }
  }
  return undefined;
}

/**
 * The rule's primary course:
 * 1. judge from the event whether any policy rule may apply (if none, answer at once);
 * 2. get the raw message (a stream) from the Message Flow API;
 * 3. once its headers are read, decide with the policy what to change and what to answer; stop
 *    early when nothing is to change, or when the message is this invocation's own output;
 * 4. rewrite it while it streams, uploading the result under a key derived from the invocation id;
 * 5. replace the message's content with that object (PutRawMessageContent);
 * 6. answer with the policy's actions.
 * What cannot be done goes to the policy's fallback; failures are decided by `classifyFailure`.
 */
async function rewriteAndPut(
  event: WorkMailRunLambdaEvent,
  deps: RuleDeps,
  signal: AbortSignal,
  progress: Progress,
): Promise<RuleResult> {
  const { messageFlow, store, config, policy, log, now } = deps;
  if (!anyRuleMayApply(policy, eventFacts(event)) && !cleansReplies(policy, event.flowDirection)) {
    log.info('no rule of the policy applies', {
      ...eventFields(event),
      outcome: 'no-rule-applies',
    });
    return { response: deliverToAll(), outcome: 'no-rule-applies', rules: [] };
  }
  const started = now();
  const message = await messageFlow.getRawMessage(event.messageId, signal);
  // The budget may have run out during the await; a listener added now would never be called.
  if (signal.aborted) message.body.destroy(signal.reason as Error);
  // Out of time: stop reading, which ends the rewrite and the upload that reads it.
  signal.addEventListener('abort', () => message.body.destroy(signal.reason as Error), {
    once: true,
  });
  const auditing = hasAuditRules(policy);
  const [input = message.body, auditInput] =
    auditing || deps.originals ? tee(message.body, auditing ? 2 : 1) : [];
  if (auditInput) progress.auditing = startAudit(event, deps, auditInput, message.size, signal);
  if (deps.originals) {
    // The copy never holds the mail back: one that falls too far behind is given up.
    const copy = sideCopy(message.body, ORIGINAL_MAX_BEHIND_BYTES);
    progress.keeping = keepOriginal(deps.originals, event, deps, copy, signal);
  }
  const rewrite = startRewrite(input, {
    marker: { header: policy.markerHeader, value: event.invocationId },
    plan: policyPlan(policy, event, message.size, (decision) => {
      progress.decision = decision;
    }),
  });
  const head = await rewrite.head.catch(async (error: unknown) => {
    // `done` fails with the same error; wait for it so that nothing is left unhandled.
    await rewrite.done.catch(() => undefined);
    throw error;
  });
  // The plan has run once the head is read: the decision is there.
  const { rules, content, response, fallback, autoGenerated } = progress.decision as Decision;
  const fields = { ...eventFields(event), rules, ...(autoGenerated ? { autoGenerated } : {}) };
  if (head.alreadyRewritten || !(changesContent(content) || content.cleanReplies)) {
    // Nothing to upload: a retry after our own Put, or a message the policy leaves as it is.
    rewrite.cancel();
    await rewrite.done.catch(() => undefined);
    const outcome = head.alreadyRewritten ? 'already-rewritten' : 'unchanged';
    log.info(
      head.alreadyRewritten
        ? 'message already rewritten by this invocation'
        : 'message needs no change',
      {
        ...fields,
        outcome,
      },
    );
    return { response, outcome, rules };
  }
  progress.keeping?.commit();
  const objectKey = objectKeyFor(config.keyPrefix, event.invocationId);
  const [stored, report] = await readToEnd(rewrite.output, rewrite.done, (output) =>
    store.put(objectKey, output, signal),
  );
  const streamedAt = now();
  const unplaced = unplacedAddition(content, report);
  const bounce = bounceStepOf(fallback);
  if (unplaced && fallbackStepsOf(fallback).includes('wrap')) {
    const wrapped = await wrapAndPut(event, deps, progress, unplaced, signal, 'message');
    if (wrapped) return wrapped;
  }
  if (unplaced && bounce) {
    log.warn('the policy bounces what it cannot change', {
      ...fields,
      ...reportFields(report),
      reason: unplaced,
      outcome: 'bounced-by-fallback',
    });
    return {
      response: bounceAll(bounce.bounce),
      outcome: 'bounced-by-fallback',
      rules,
      report,
      reason: unplaced,
    };
  }
  if (!changedAnything(report)) {
    // Everything was in place already (a new invocation on our earlier output), or nothing
    // could be placed and the fallback delivers: no Put.
    log.info('message needs no change', {
      ...fields,
      ...reportFields(report),
      ...(unplaced ? { reason: unplaced } : {}),
      outcome: 'unchanged',
    });
    return {
      response,
      outcome: 'unchanged',
      rules,
      report,
      ...(unplaced ? { reason: unplaced } : {}),
    };
  }
  // Never put once the budget ran out: the answer is due, and the fallback gives it.
  signal.throwIfAborted();
  await messageFlow.putRawMessage(event.messageId, stored, signal);
  const finished = now();
  log.info('message rewritten', {
    ...fields,
    ...reportFields(report),
    ...(unplaced ? { reason: unplaced } : {}),
    outcome: 'rewritten',
    objectKey,
    timings: {
      streamMs: streamedAt - started,
      putMs: finished - streamedAt,
      totalMs: finished - started,
    },
  });
  return {
    response,
    outcome: 'rewritten',
    rules,
    report,
    objectKey,
    ...(unplaced ? { reason: unplaced } : {}),
    timings: { streamMs: streamedAt - started, putMs: finished - streamedAt },
  };
}

/** The wrapper's `From:` when the original has none: the envelope sender, else a reserved name. */
function wrapperFrom(event: WorkMailRunLambdaEvent): string {
  const sender = event.envelope.mailFrom.address;
  return sender ? `<${sender}>` : '"unknown sender" <MAILER-DAEMON@unknown.invalid>';
}

/**
 * The `wrap` fallback: fetches the message again and puts a new one that carries the cover note
 * (the rules' banner, else footer) with the original attached whole. Undefined when the rules give
 * no note to carry.
 */
async function wrapAndPut(
  event: WorkMailRunLambdaEvent,
  deps: RuleDeps,
  progress: Progress,
  reason: string,
  signal: AbortSignal,
  attach: WrapAttachment,
): Promise<RuleResult | undefined> {
  const decision = progress.decision;
  const note = decision?.content.banner ?? decision?.content.footer;
  if (!decision || (!note?.text && !note?.html)) return undefined;
  progress.wrapTried = true;
  const { messageFlow, store, config, policy, log } = deps;
  const message = await messageFlow.getRawMessage(event.messageId, signal);
  const wrapped = wrapMessage(message.body, {
    note,
    ...(decision.content.subjectTag ? { subjectTag: decision.content.subjectTag } : {}),
    marker: { header: policy.markerHeader, value: event.invocationId },
    maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
    attach,
    from: wrapperFrom(event),
    now: () => new Date(deps.now()),
  });
  const objectKey = objectKeyFor(config.keyPrefix, event.invocationId);
  const [stored] = await readToEnd(wrapped.output, wrapped.done, (output) =>
    store.put(objectKey, output, signal),
  );
  signal.throwIfAborted();
  await messageFlow.putRawMessage(event.messageId, stored, signal);
  log.warn('the policy wrapped what it could not change', {
    ...eventFields(event),
    rules: decision.rules,
    reason,
    objectKey,
    outcome: 'wrapped-by-fallback',
  });
  return {
    response: decision.response,
    outcome: 'wrapped-by-fallback',
    rules: decision.rules,
    objectKey,
    reason,
  };
}

/**
 * Hands a rewrite's output to its reader (an upload, the audit's sink) and waits for both. A
 * reader that fails stops reading: the output is ended too, or the rewrite would wait forever.
 * When both fail, a declined message is the cause (the reader failed because its input did);
 * otherwise the reader's own error is, because the rewrite then only reports that its output was
 * closed (lib-storage closes it without an error).
 */
async function readToEnd<T, R>(
  output: Readable,
  rewrite: Promise<R>,
  read: (output: Readable) => Promise<T>,
): Promise<[T, R]> {
  const reading = read(output);
  reading.catch((error: unknown) => output.destroy(error as Error));
  const [uploaded, rewritten] = await Promise.allSettled([reading, rewrite]);
  if (rewritten.status === 'rejected' && rewritten.reason instanceof RewriteDeclinedError) {
    throw rewritten.reason;
  }
  if (uploaded.status === 'rejected') throw uploaded.reason;
  if (rewritten.status === 'rejected') throw rewritten.reason;
  return [uploaded.value, rewritten.value];
}

function failureFields(error: unknown, reason: string) {
  const fields: Record<string, unknown> = { errorName: errorName(error), reason };
  if (!isError(error)) return fields;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') fields.errorCode = code;
  // Texts written by this project are safe to log. Any other text (a service's, a library's) may
  // quote the message: keep header names and line numbers only.
  if (OWN_ERRORS.has(error.name)) fields.errorMessage = error.message;
  else fields.rejection = rejectionDetails(error.message);
  return fields;
}

const OWN_ERRORS = new Set([
  InvalidEventError.name,
  RewriteDeclinedError.name,
  OutOfTimeError.name,
  MissingMessageBodyError.name,
]);

/** How far the original's upload may fall behind the rewrite before it is given up. */
const ORIGINAL_MAX_BEHIND_BYTES = 16 * 1024 * 1024;

/**
 * The untouched original, held back until it is known whether the message changes: only then
 * is it uploaded. A retry that fetched our own output, or a message that goes out as it came,
 * never reaches the bucket.
 */
interface Keeping {
  /** Uploads it (once): the message changes, or could not be changed. */
  commit(): void;
  /** The key once stored; undefined when it was never committed or failed (logged, not fatal). */
  finish(): Promise<string | undefined>;
}

/**
 * Keeps the original in the originals bucket. Mail comes first: a failure here is logged, and the
 * message is delivered as planned all the same.
 */
function keepOriginal(
  store: MessageStore,
  event: WorkMailRunLambdaEvent,
  deps: RuleDeps,
  copy: Readable,
  signal: AbortSignal,
): Keeping {
  let upload: Promise<string | undefined> | undefined;
  const key = objectKeyFor(deps.config.keyPrefix, event.invocationId);
  return {
    commit() {
      upload ??= store.put(key, copy, signal).then(
        () => key,
        (error: unknown) => {
          // An upload that stopped reading must not leave the copy filling up.
          copy.destroy();
          deps.log.warn('the original could not be kept', {
            ...eventFields(event),
            ...failureFields(error, 'original-not-kept'),
          });
          return undefined;
        },
      );
    },
    finish() {
      if (!upload) copy.destroy();
      return upload ?? Promise.resolve(undefined);
    },
  };
}

/** What audit-only rules would have done: the answer, and the changes or why none were made. */
export interface AuditResult {
  outcome: 'audit-would-rewrite' | 'audit-would-not-change' | 'audit-would-fall-back';
  rules: string[];
  response: WorkMailSyncResponse;
  report?: RewriteReport;
  /** Why the audit-only rules' changes could not have been made (the fallback would answer). */
  reason?: string;
}

/** An audit run beside the real one, on its own copy of the message. */
interface Auditing {
  /** Settles when the audit is over; undefined when no audit-only rule applies. Never rejects. */
  readonly done: Promise<AuditResult | undefined>;
  cancel(): void;
}

async function drain(message: Readable): Promise<void> {
  message.resume();
  await finished(message);
}

/** Action types and recipient counts: what the audit log may say about an answer. */
function actionSummary(response: WorkMailSyncResponse) {
  return response.actions.map(({ action, allRecipients, recipients }) => ({
    type: action.type,
    ...(allRecipients ? { allRecipients } : { recipients: recipients?.length ?? 0 }),
  }));
}

/**
 * Runs the audit-only rules on a copy of the message, as if they were live, and logs what they
 * would change. Nothing is uploaded or put, and the real answer never waits on its failures.
 */
function startAudit(
  event: WorkMailRunLambdaEvent,
  deps: RuleDeps,
  input: Readable,
  size: number | undefined,
  signal: AbortSignal,
): Auditing {
  let decision: Decision | undefined;
  const rewrite = startRewrite(input, {
    marker: { header: deps.policy.markerHeader, value: event.invocationId },
    plan: policyPlan(
      deps.policy,
      event,
      size,
      (decided) => {
        decision = decided;
      },
      (decided) => decided.audit?.content ?? {},
    ),
  });
  const run = async (): Promise<AuditResult | undefined> => {
    const head = await rewrite.head;
    const audit = decision?.audit;
    if (head.alreadyRewritten || !audit) {
      rewrite.cancel();
      await rewrite.done.catch(() => undefined);
      return undefined;
    }
    const [, report] = await readToEnd(rewrite.output, rewrite.done, deps.auditSink ?? drain);
    signal.throwIfAborted();
    const outcome = changedAnything(report) ? 'audit-would-rewrite' : 'audit-would-not-change';
    deps.log.info('audit: what the audit-only rules would do', {
      ...eventFields(event),
      rules: audit.rules,
      actions: actionSummary(audit.response),
      ...reportFields(report),
      outcome,
    });
    return { outcome, rules: audit.rules, response: audit.response, report };
  };
  const done = run().catch((error: unknown) => {
    const reason = outcomeOf(error, signal).reason;
    const audit = decision?.audit;
    deps.log.warn('audit: the audit-only rules could not change the message', {
      ...eventFields(event),
      ...(audit ? { rules: audit.rules, actions: actionSummary(audit.response) } : {}),
      ...failureFields(error, reason),
      outcome: 'audit-would-fall-back',
    });
    return (
      audit && {
        outcome: 'audit-would-fall-back' as const,
        rules: audit.rules,
        response: audit.response,
        reason,
      }
    );
  });
  return { done, cancel: () => rewrite.cancel() };
}

/** What an invocation has done so far, for the failure that may end it. */
interface Progress {
  /** The audit run, when the policy has audit-only rules. */
  auditing?: Auditing;
  /** The original being kept, when the deployment keeps originals. */
  keeping?: Keeping;
  /** The policy's decision, once the headers were read. */
  decision?: Decision;
  /** Whether the `wrap` fallback was tried: a refused wrap is not tried twice. */
  wrapTried: boolean;
}

// The wrap attaches any bytes as base64, but an empty message has nothing to attach and a large
// one grows by a third.
const WRAP_CANNOT_HELP = new Set<DeclineReason>(['empty', 'too-large']);

function wrapMayHelp(error: unknown): boolean {
  return !(error instanceof RewriteDeclinedError && WRAP_CANNOT_HELP.has(error.reason));
}

// Failures that mean "this content cannot be changed", which the policy's fallback answers.
const CONTENT_FAILURES = new Set(['message-rejected', 'out-of-time']);
const OUT_OF_TIME: FailureOutcome = {
  action: 'deliver-unchanged',
  reason: 'out-of-time',
  severity: 'warn',
};

/**
 * What a failure means. Once the budget ran out, the time is the cause of whatever a call failed
 * with, unless the service said something specific (frozen, rejected, not found...).
 */
function outcomeOf(error: unknown, budget: AbortSignal): FailureOutcome {
  const outcome = classifyFailure(error);
  if (!budget.aborted) return outcome;
  return outcome.action === 'retry' || outcome.reason === 'unexpected-error'
    ? OUT_OF_TIME
    : outcome;
}

/**
 * Runs the rule on one Lambda payload and decides what every failure means. Returns the result
 * (for replay and tests), or throws when WorkMail should retry the invocation.
 */
export async function runRule(
  payload: unknown,
  deps: RuleDeps,
  lambdaContext?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<RuleResult> {
  const budget = startBudget(deps.now, lambdaContext?.getRemainingTimeInMillis());
  let event: WorkMailRunLambdaEvent | undefined;
  const progress: Progress = { wrapTried: false };
  // Metrics never decide the mail's fate: a failing port is logged, and the answer stands.
  const measure = (outcome: string, result?: RuleResult, reason?: string) => {
    try {
      deps.metrics?.record({
        outcome,
        ...(event ? { direction: event.flowDirection } : {}),
        ...((reason ?? result?.reason) ? { reason: reason ?? result?.reason } : {}),
        ...(result?.report ? { bytes: result.report.bytesIn } : {}),
        ...(result?.timings ?? {}),
        budgetLeftMs: budget.remaining(),
      });
    } catch (error) {
      deps.log.warn('metrics could not be recorded', failureFields(error, 'metrics-failed'));
    }
  };
  let result: RuleResult;
  try {
    try {
      event = parseWorkMailEvent(payload);
      result = await rewriteAndPut(event, deps, budget.signal, progress);
    } catch (error) {
      result = await answerFailure(error);
    }
    // Before the answer: a frozen Lambda would never finish the upload or the audit.
    const [originalKey, audit] = await Promise.all([
      progress.keeping?.finish(),
      progress.auditing?.done,
    ]);
    if (originalKey) result = { ...result, originalKey };
    if (audit) result = { ...result, audit };
  } catch (error) {
    // WorkMail retries: the retry audits again, and keeps the original if this run had not.
    progress.auditing?.cancel();
    await progress.keeping?.finish();
    throw error;
  } finally {
    budget.end();
  }
  measure(result.outcome, result);
  return result;

  /** Logs and measures why WorkMail should retry, then throws so that it does. */
  function requestRetry(error: unknown, reason: string, fields: Record<string, unknown>): never {
    deps.log.error('failing the invocation so that WorkMail retries it', {
      ...fields,
      ...failureFields(error, reason),
      outcome: 'retry',
    });
    measure('retry', undefined, reason);
    throw error;
  }

  /** Decides what a failure means: throws (retry) or answers with the fallback. */
  async function answerFailure(error: unknown): Promise<RuleResult> {
    const outcome = outcomeOf(error, budget.signal);
    // Headers never read: the rules the envelope alone proves still decide the answer.
    if (event && !progress.decision) progress.decision = envelopeDecision(deps.policy, event);
    const decision = progress.decision;
    const eventLogFields = {
      ...(event ? eventFields(event) : {}),
      ...(decision ? { rules: decision.rules } : {}),
    };
    const fields = { ...eventLogFields, ...failureFields(error, outcome.reason) };
    if (outcome.action === 'retry') requestRetry(error, outcome.reason, eventLogFields);
    // The message that could not be changed is the one worth keeping for debugging.
    progress.keeping?.commit();
    const fallback: Fallback | undefined = decision?.fallback;
    const contentFailure =
      error instanceof RewriteDeclinedError || CONTENT_FAILURES.has(outcome.reason);
    if (
      contentFailure &&
      fallbackStepsOf(fallback).includes('wrap') &&
      event &&
      !progress.wrapTried &&
      wrapMayHelp(error) &&
      !budget.signal.aborted
    ) {
      const wrapped = await wrapAndPut(
        event,
        deps,
        progress,
        outcome.reason,
        budget.signal,
        'octets',
      ).catch((wrapError: unknown) => {
        // A wrap that fails too falls back to the original; a fault of the moment is retried.
        const wrapOutcome = outcomeOf(wrapError, budget.signal);
        if (wrapOutcome.action === 'retry')
          requestRetry(wrapError, wrapOutcome.reason, eventLogFields);
        deps.log.warn('wrapping failed as well', {
          ...fields,
          wrapFailure: failureFields(wrapError, wrapOutcome.reason),
        });
        return undefined;
      });
      if (wrapped) return wrapped;
    }
    const bounce = bounceStepOf(fallback);
    if (contentFailure && bounce) {
      deps.log.warn('the policy bounces what it cannot change', {
        ...fields,
        outcome: 'bounced-by-fallback',
      });
      return {
        response: bounceAll(bounce.bounce),
        outcome: 'bounced-by-fallback',
        reason: outcome.reason,
        rules: decision?.rules,
      };
    }
    deps.log[outcome.severity]('delivering the original message unchanged', {
      ...fields,
      outcome: 'delivered-unchanged-after-failure',
    });
    return {
      // The policy's delivery actions still hold when only the content could not change.
      response: decision?.response ?? deliverToAll(),
      outcome: 'delivered-unchanged-after-failure',
      reason: outcome.reason,
      ...(decision ? { rules: decision.rules } : {}),
    };
  }
}
