/**
 * Types for the WorkMail synchronous "Run Lambda" rule, and the check of its event at the door.
 * `@types/aws-lambda` has none; the shapes follow the WorkMail admin guide ("Lambda event data").
 */
import { InvalidEventError } from './errors';

/** An address as the event carries it. Response recipients, by contrast, are plain strings. */
export interface WorkMailAddress {
  address: string;
}

export type FlowDirection = 'INBOUND' | 'OUTBOUND';

/** The event WorkMail sends for both inbound and outbound rules. */
export interface WorkMailRunLambdaEvent {
  /** Format version. Documented as `2018-10-10`, samples show `2019-07-28`: informational only. */
  summaryVersion: string;
  envelope: { mailFrom: WorkMailAddress; recipients: WorkMailAddress[] };
  /** Present only for mail sent on behalf of another user. */
  sender?: WorkMailAddress;
  /** Truncated to 256 characters by WorkMail: never rebuild the Subject header from it. */
  subject: string;
  /**
   * Id for the Message Flow API: 1 to 120 characters. The service model's pattern,
   * `[a-z0-9\-]*`, is not anchored (Smithy patterns are not), so it admits any id.
   */
  messageId: string;
  /** Stable across WorkMail's retries of the same invocation. */
  invocationId: string;
  flowDirection: FlowDirection;
  /** True when the payload passed 128 KB and the recipient list was cut. */
  truncated: boolean;
}

export type InboundActionType =
  | 'DEFAULT'
  | 'BOUNCE'
  | 'DROP'
  | 'BYPASS_SPAM_CHECK'
  | 'MOVE_TO_JUNK';
export type OutboundActionType = 'DEFAULT' | 'BOUNCE' | 'DROP';

export interface WorkMailSyncAction {
  action: {
    type: InboundActionType | OutboundActionType;
    parameters?: { bounceMessage?: string };
  };
  /** Plain address strings, not `{ address }` objects. */
  recipients?: string[];
  /** Applies the action to every recipient that no other action names. */
  allRecipients?: boolean;
}

/** What a synchronous rule answers: 1 to 10 actions. */
export interface WorkMailSyncResponse {
  actions: WorkMailSyncAction[];
}

/** The answer that delivers the message normally to everyone. */
export const DELIVER_TO_ALL: WorkMailSyncResponse = Object.freeze({
  actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }],
}) as WorkMailSyncResponse;

/** The Message Flow API's length limit for message ids (its pattern admits any text). */
export const MAX_MESSAGE_ID_LENGTH = 120;

const FLOW_DIRECTIONS: readonly FlowDirection[] = ['INBOUND', 'OUTBOUND'];

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}

function objectAt(value: unknown, field: string): JsonObject {
  if (!isObject(value))
    throw new InvalidEventError(field, `must be an object, got ${describe(value)}`);
  return value;
}

function stringAt(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidEventError(field, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function addressAt(value: unknown, field: string): WorkMailAddress {
  const object = objectAt(value, field);
  return { address: stringAt(object.address, `${field}.address`) };
}

/**
 * The envelope sender. An absent or empty one is the null sender (`MAIL FROM:<>`, RFC 5321
 * 4.5.5), which bounces and auto-replies use: it comes out as an empty address, which no sender
 * pattern but `*` matches and which proves nothing about the sender.
 */
function envelopeSenderAt(value: unknown, field: string): WorkMailAddress {
  if (value == null) return { address: '' };
  const address = objectAt(value, field).address;
  if (address == null || address === '') return { address: '' };
  if (typeof address !== 'string')
    throw new InvalidEventError(`${field}.address`, `must be a string, got ${describe(address)}`);
  return { address };
}

/**
 * Checks an unknown Lambda payload and returns it typed. Unknown extra fields are ignored and an
 * unknown `summaryVersion` is accepted (WorkMail documents one value, its samples show another).
 *
 * @throws InvalidEventError naming the first field that is missing or of the wrong type
 */
export function parseWorkMailEvent(payload: unknown): WorkMailRunLambdaEvent {
  const event = objectAt(payload, 'event');
  const envelope = objectAt(event.envelope, 'envelope');
  const recipients = envelope.recipients;
  if (!Array.isArray(recipients)) {
    throw new InvalidEventError(
      'envelope.recipients',
      `must be a list, got ${describe(recipients)}`,
    );
  }
  const messageId = stringAt(event.messageId, 'messageId');
  if (messageId.length > MAX_MESSAGE_ID_LENGTH) {
    throw new InvalidEventError('messageId', `must be at most ${MAX_MESSAGE_ID_LENGTH} characters`);
  }
  const flowDirection = event.flowDirection;
  if (!FLOW_DIRECTIONS.includes(flowDirection as FlowDirection)) {
    throw new InvalidEventError(
      'flowDirection',
      // The value itself is not quoted: logs must not carry what an event may hold.
      `must be INBOUND or OUTBOUND, got ${describe(flowDirection)}`,
    );
  }
  const subject = event.subject ?? '';
  if (typeof subject !== 'string') {
    throw new InvalidEventError('subject', `must be a string, got ${describe(subject)}`);
  }
  const truncated = event.truncated ?? false;
  if (typeof truncated !== 'boolean') {
    throw new InvalidEventError('truncated', `must be a boolean, got ${describe(truncated)}`);
  }
  const summaryVersion = event.summaryVersion ?? '';
  if (typeof summaryVersion !== 'string') {
    throw new InvalidEventError(
      'summaryVersion',
      `must be a string, got ${describe(summaryVersion)}`,
    );
  }
  return {
    summaryVersion,
    envelope: {
      mailFrom: envelopeSenderAt(envelope.mailFrom, 'envelope.mailFrom'),
      recipients: recipients.map((r, i) => addressAt(r, `envelope.recipients[${i}]`)),
    },
    // WorkMail may send the key as absent or null when the mail is not sent on behalf of anyone.
    ...(event.sender == null ? {} : { sender: addressAt(event.sender, 'sender') }),
    subject,
    messageId,
    invocationId: stringAt(event.invocationId, 'invocationId'),
    flowDirection: flowDirection as FlowDirection,
    truncated,
  };
}
