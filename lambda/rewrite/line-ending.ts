/** The line ending a text uses (its first one), or `fallback` when it has no line break. */
export function lineEndingOf(text: string, fallback = '\r\n'): string {
  const lf = text.indexOf('\n');
  if (lf < 0) return fallback;
  return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
}
