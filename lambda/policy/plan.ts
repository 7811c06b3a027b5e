import type { TopHeaders } from '../rewrite';
import type { WorkMailRunLambdaEvent } from '../workmail';
import { fromAddress } from './addresses';
import { changesContent, type Decision, decide, templateValues } from './decide';
import type { MessageFacts } from './evaluate';
import type { Policy } from './schema';

/** What rule conditions can judge from the event alone. */
export function eventFacts(event: WorkMailRunLambdaEvent): Omit<MessageFacts, 'message'> {
  return {
    direction: event.flowDirection,
    envelopeSender: event.envelope.mailFrom.address,
    recipients: event.envelope.recipients.map((r) => r.address),
  };
}

/**
 * What a message whose headers could not be read proves: nothing. No header holds, no subject
 * contains anything, no DMARC result vouches for the sender, so inbound mail is judged from
 * outside and no exemption applies.
 */
const UNREADABLE: NonNullable<MessageFacts['message']> = { subject: '', header: () => [] };

/**
 * The decision when the message's headers could not be read (broken, empty, gone, out of time):
 * the envelope decides, and the headers prove nothing (UNREADABLE), so that a sender the policy
 * bounces or drops is not let through by a message too broken to read, and the warning on mail
 * from outside fails closed. Its fallback holds only when those rules change the content;
 * otherwise the original goes out as it came.
 */
export function envelopeDecision(policy: Policy, event: WorkMailRunLambdaEvent): Decision {
  const facts = { ...eventFacts(event), message: UNREADABLE };
  const decision = decide(policy, event, facts, templateValues(event, undefined));
  return changesContent(decision.content) ? decision : { ...decision, fallback: 'deliver' };
}

/** What rule conditions judge once the message's top-level headers are read. */
export function factsOf(
  event: WorkMailRunLambdaEvent,
  headers: TopHeaders,
  size: number | undefined,
): MessageFacts {
  return {
    ...eventFacts(event),
    message: {
      from: fromAddress(headers.get('from')[0] ?? ''),
      subject: headers.subject(),
      header: (name) => headers.get(name),
      ...(size === undefined ? {} : { size }),
    },
  };
}

/** The policy's decision on a message whose top-level headers were read. */
export function headDecision(
  policy: Policy,
  event: WorkMailRunLambdaEvent,
  headers: TopHeaders,
  size: number | undefined,
): Decision {
  return decide(
    policy,
    event,
    factsOf(event, headers, size),
    templateValues(event, headers.get('date')[0]),
  );
}
