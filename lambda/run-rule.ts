import type { Config } from './config';
import { classifyFailure, errorName, isError, rejectionDetails } from './failure-outcome';
import { objectKeyFor } from './object-key';
import type { Log, MessageFlow, MessageStore } from './ports';
import { RewriteDeclinedError } from './rewrite/rewrite-declined';
import { startRewrite } from './rewrite/rewrite-message';
import type { RewriteReport, RewriteRules } from './rewrite/rewrite-rules';
import {
  parseWorkMailEvent,
  type WorkMailRunLambdaEvent,
  type WorkMailSyncResponse,
} from './workmail';

/** Everything the rule needs from outside; tests and replay pass their own. */
export interface RuleDeps {
  messageFlow: MessageFlow;
  store: MessageStore;
  config: Config;
  log: Log;
  /** Milliseconds, for timings. */
  now: () => number;
}

/** How one invocation ended, as logged and as replay reports it. */
export type RuleOutcome =
  | 'rewritten'
  | 'unchanged'
  | 'already-rewritten'
  | 'delivered-unchanged-after-failure';

export interface RuleResult {
  response: WorkMailSyncResponse;
  outcome: RuleOutcome;
  report?: RewriteReport;
  objectKey?: string;
  /** Why a failure led to delivering the original. */
  reason?: string;
}

/** Normal delivery to every recipient: the answer for every outcome this rule produces. */
export function deliverToAll(): WorkMailSyncResponse {
  return { actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }] };
}

function rulesFor(config: Config, invocationId: string): RewriteRules {
  return {
    subjectTag: config.subjectTag,
    banner: { text: config.textBanner, html: config.htmlBanner },
    footer: { text: config.textFooter, html: config.htmlFooter },
    marker: { header: config.markerHeader, value: invocationId },
  };
}

function changedAnything(report: RewriteReport): boolean {
  return (
    report.subject === 'tagged' ||
    report.subject === 'added' ||
    report.parts.some((part) => part.change === 'rewritten')
  );
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
    lineEndingsFixed: report.lineEndingsFixed,
    parts: report.parts.map(
      ({ part, contentType, change, added, reason, transferEncoding, charset }) => ({
        part,
        contentType,
        change,
        ...(added ? { added } : {}),
        ...(reason ? { reason } : {}),
        ...(transferEncoding ? { transferEncoding } : {}),
        ...(charset ? { charset } : {}),
      }),
    ),
  };
}

/**
 * The rule's primary course:
 * 0. leave mail of other flow directions alone;
 * 1. get the raw message (a stream) from the Message Flow API;
 * 2. rewrite it while it streams; stop early if it is this invocation's own earlier output;
 * 3. upload the result to the bucket under a key derived from the invocation id;
 * 4. replace the message's content with that object (PutRawMessageContent);
 * 5. answer DEFAULT for all recipients.
 * Failures are decided by `classifyFailure`: retry (throw) or deliver the original unchanged.
 */
async function rewriteAndPut(event: WorkMailRunLambdaEvent, deps: RuleDeps): Promise<RuleResult> {
  const { messageFlow, store, config, log, now } = deps;
  if (!config.directions.includes(event.flowDirection)) {
    log.info('message flows in a direction this rule leaves alone', {
      ...eventFields(event),
      outcome: 'unchanged',
    });
    return { response: deliverToAll(), outcome: 'unchanged' };
  }
  const started = now();
  const source = await messageFlow.getRawMessage(event.messageId);
  const rewrite = startRewrite(source, rulesFor(config, event.invocationId));
  const head = await rewrite.head.catch(async (error: unknown) => {
    // `done` fails with the same error; wait for it so that nothing is left unhandled.
    await rewrite.done.catch(() => undefined);
    throw error;
  });
  if (head.alreadyRewritten) {
    // A retry after our own successful Put: the service already holds the rewritten message.
    rewrite.cancel();
    await rewrite.done.catch(() => undefined);
    log.info('message already rewritten by this invocation', {
      ...eventFields(event),
      outcome: 'already-rewritten',
    });
    return { response: deliverToAll(), outcome: 'already-rewritten' };
  }
  const objectKey = objectKeyFor(config.keyPrefix, event.invocationId);
  const upload = store.put(objectKey, rewrite.output);
  // A failed upload stops reading the output: end the rewrite too, or it would wait forever.
  upload.catch((error: unknown) => rewrite.output.destroy(error as Error));
  const [stored, report] = await settleBoth(upload, rewrite.done);
  const streamedAt = now();
  if (!changedAnything(report)) {
    log.info('message needs no change', {
      ...eventFields(event),
      ...reportFields(report),
      outcome: 'unchanged',
    });
    return { response: deliverToAll(), outcome: 'unchanged', report };
  }
  await messageFlow.putRawMessage(event.messageId, stored);
  const finished = now();
  log.info('message rewritten', {
    ...eventFields(event),
    ...reportFields(report),
    outcome: 'rewritten',
    objectKey,
    timings: {
      streamMs: streamedAt - started,
      putMs: finished - streamedAt,
      totalMs: finished - started,
    },
  });
  return { response: deliverToAll(), outcome: 'rewritten', report, objectKey };
}

/**
 * Waits for the upload and the rewrite together. When both fail, a declined message is the cause
 * (the upload failed because its input did); otherwise the upload's own error is, because the
 * rewrite then only reports that its output was closed (lib-storage closes it without an error).
 */
async function settleBoth<T, R>(upload: Promise<T>, rewrite: Promise<R>): Promise<[T, R]> {
  const [uploaded, rewritten] = await Promise.allSettled([upload, rewrite]);
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
  // The service's rejection text may quote header values: keep names and line numbers only.
  if (error.name === 'MessageRejected') fields.rejection = rejectionDetails(error.message);
  else fields.errorMessage = error.message;
  return fields;
}

/**
 * Runs the rule on one Lambda payload and decides what every failure means. Returns the result
 * (for replay and tests), or throws when WorkMail should retry the invocation.
 */
export async function runRule(payload: unknown, deps: RuleDeps): Promise<RuleResult> {
  let event: WorkMailRunLambdaEvent | undefined;
  try {
    event = parseWorkMailEvent(payload);
    return await rewriteAndPut(event, deps);
  } catch (error) {
    const outcome = classifyFailure(error);
    const fields = {
      ...(event ? eventFields(event) : {}),
      ...failureFields(error, outcome.reason),
    };
    if (outcome.action === 'retry') {
      deps.log.error('failing the invocation so that WorkMail retries it', {
        ...fields,
        outcome: 'retry',
      });
      throw error;
    }
    deps.log[outcome.severity]('delivering the original message unchanged', {
      ...fields,
      outcome: 'delivered-unchanged-after-failure',
    });
    return {
      response: deliverToAll(),
      outcome: 'delivered-unchanged-after-failure',
      reason: outcome.reason,
    };
  }
}

/** The Lambda handler body: the rule's response, or a throw that makes WorkMail retry. */
export function createHandler(deps: RuleDeps): (payload: unknown) => Promise<WorkMailSyncResponse> {
  return async (payload) => (await runRule(payload, deps)).response;
}
