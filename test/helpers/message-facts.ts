import type { MessageFacts } from '../../lambda/policy/evaluate';

/** Inbound mail from outside's envelope whose From: is `from`, with these Authentication-Results. */
export function inboundFacts(from: string, authenticationResults: string[] = []): MessageFacts {
  return {
    direction: 'INBOUND',
    envelopeSender: 'bounce@mailer.example',
    recipients: ['bob@corp.example'],
    message: {
      from,
      subject: 'Quarterly figures',
      header: (name) => (name === 'authentication-results' ? authenticationResults : []),
      size: 8298,
    },
  };
}
