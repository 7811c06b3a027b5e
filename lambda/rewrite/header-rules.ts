/** Headers RFC 5322 section 3.6 allows at most once in a message. */
export const AT_MOST_ONCE: ReadonlySet<string> = new Set([
  'bcc',
  'cc',
  'date',
  'from',
  'in-reply-to',
  'message-id',
  'references',
  'reply-to',
  'sender',
  'subject',
  'to',
]);
