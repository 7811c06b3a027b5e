import type { TopHeaders } from '../rewrite';
import type { WorkMailRunLambdaEvent } from '../workmail';
import { changesContent, type Decision, decide, templateValues } from './decide';
import { fromAddress, type MessageFacts } from './evaluate';
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
 * The decision when the message's headers could not be read (broken, empty, gone, out of time):
 * the rules that the envelope alone proves, so that a sender the policy bounces or drops is not
 * let through by a message too broken to read. Its fallback holds only when those rules change
 * the content; otherwise the original goes out as it came.
 */
export function envelopeDecision(policy: Policy, event: WorkMailRunLambdaEvent): Decision {
  const decision = decide(policy, event, eventFacts(event), templateValues(event, undefined));
  return changesContent(decision.content) ? decision : { ...decision, fallback: 'deliver' };
}

function factsOf(
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
