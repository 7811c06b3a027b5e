import libmime = require('libmime');

// iTIP methods that answer an invitation (RFC 5546): calendar software writes these, not a person.
// Invitations (REQUEST, PUBLISH, ADD, CANCEL) are not among them: they carry what a sender wrote.
const ANSWERS = new Set(['reply', 'counter', 'declinecounter', 'refresh']);

/** Whether a Content-Type value is an iTIP answer: `text/calendar; method=REPLY`. */
export function isCalendarReply(contentType: string): boolean {
  const parsed = libmime.parseHeaderValue(contentType);
  const method = parsed.params.method;
  return (
    parsed.value.trim().toLowerCase() === 'text/calendar' &&
    typeof method === 'string' &&
    ANSWERS.has(method.trim().toLowerCase())
  );
}
