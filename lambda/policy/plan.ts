import type { ContentPlan, TopHeaders } from '../rewrite/rewrite-rules';
import type { WorkMailRunLambdaEvent } from '../workmail';
import { type Decision, decide, templateValues } from './decide';
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

/**
 * The engine's `plan` for one message: once its top-level headers are read, the policy decides
 * (handed to `decided`, for the answer), and the decision's content is what the engine changes.
 */
export function policyPlan(
  policy: Policy,
  event: WorkMailRunLambdaEvent,
  size: number | undefined,
  decided: (decision: Decision) => void,
): (headers: TopHeaders) => ContentPlan {
  return (headers) => {
    const decision = decide(
      policy,
      event,
      factsOf(event, headers, size),
      templateValues(event, headers.get('date')[0]),
    );
    decided(decision);
    return decision.content;
  };
}
