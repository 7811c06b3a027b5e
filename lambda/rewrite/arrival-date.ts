/** A date as RFC 5322 section 3.3 writes it, in UTC (`Wed, 02 Dec 2026 11:40:00 +0000`). */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * When the message arrived: the date the topmost `Received:` header carries after its last `;`
 * (RFC 5321 4.4), which the receiving service wrote. Undefined when there is none or it cannot be
 * read. Preferred to the clock for a missing `Date:`: it is when the message came in, and every
 * retry of an invocation reads the same one.
 */
export function arrivalDate(receivedValues: readonly string[]): Date | undefined {
  const topmost = receivedValues[0];
  const at = topmost?.lastIndexOf(';') ?? -1;
  if (!topmost || at < 0) return undefined;
  const text = topmost
    .slice(at + 1)
    .replace(/\([^()]*\)/g, ' ')
    .trim();
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time);
}
