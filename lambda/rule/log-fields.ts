import { ServiceError } from '../aws/port-errors';
import { OwnError } from '../errors';
import { errorName, isError } from '../failure-outcome';
import type { RewriteReport } from '../rewrite';
import type { WorkMailRunLambdaEvent, WorkMailSyncResponse } from '../workmail';

// What the rule logs. Nothing here may carry message content, addresses or a subject.

/** Log fields that identify an invocation without revealing content or addresses. */
export function eventFields(event: WorkMailRunLambdaEvent) {
  return {
    messageId: event.messageId,
    invocationId: event.invocationId,
    flowDirection: event.flowDirection,
    recipientCount: event.envelope.recipients.length,
    truncated: event.truncated,
  };
}

/** What the rewrite did, as counts, names and part numbers. */
export function reportFields(report: RewriteReport) {
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

/** Action types and recipient counts: what the audit log may say about an answer. */
export function actionSummary(response: WorkMailSyncResponse) {
  return response.actions.map(({ action, allRecipients, recipients }) => ({
    type: action.type,
    ...(allRecipients ? { allRecipients } : { recipients: recipients?.length ?? 0 }),
  }));
}

/**
 * Log fields for a failure. Texts this project wrote are safe to log; a service's or a library's
 * text may quote the message, so of those only header names and line numbers are kept.
 */
export function failureFields(error: unknown, reason: string): Record<string, unknown> {
  const fields: Record<string, unknown> = { errorName: errorName(error), reason };
  if (!isError(error)) return fields;
  // A service error's cause has the code that says most (ECONNRESET rather than transient-error).
  const causeCode =
    error instanceof ServiceError ? (error.cause as { code?: unknown })?.code : undefined;
  const code = typeof causeCode === 'string' ? causeCode : (error as { code?: unknown }).code;
  if (typeof code === 'string') fields.errorCode = code;
  if (error instanceof OwnError && !(error instanceof ServiceError)) {
    fields.errorMessage = error.message;
  } else fields.rejection = rejectionDetails(error.message);
  return fields;
}

const HEADER_NAME = /\b(X-[A-Za-z0-9-]+|[A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)*)(?=\s*:)/g;
const KNOWN_HEADERS = new Set([
  'bcc',
  'cc',
  'content-disposition',
  'content-id',
  'content-transfer-encoding',
  'content-type',
  'date',
  'from',
  'in-reply-to',
  'message-id',
  'mime-version',
  'received',
  'references',
  'reply-to',
  'return-path',
  'sender',
  'subject',
  'to',
]);
const LINE_NUMBER = /\bline\s*(?:number\s*)?#?\s*(\d{1,7})/gi;

/**
 * The parts of a MessageRejected text that are safe to log: header names (standard ones, or
 * X- names) and line numbers. Values are dropped: they may quote addresses or the subject.
 */
export function rejectionDetails(message: string): {
  headerNames: string[];
  lineNumbers: number[];
} {
  const headerNames = new Set<string>();
  for (const [, name = ''] of message.matchAll(HEADER_NAME)) {
    if (KNOWN_HEADERS.has(name.toLowerCase()) || /^X-/i.test(name)) headerNames.add(name);
  }
  const lineNumbers = new Set<number>();
  for (const [, digits = ''] of message.matchAll(LINE_NUMBER)) lineNumbers.add(Number(digits));
  return { headerNames: [...headerNames], lineNumbers: [...lineNumbers] };
}
