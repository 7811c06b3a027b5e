/** A range of a string: `start` included, `end` not. */
export interface TextRange {
  start: number;
  end: number;
}

/**
 * The text with each range (in order, not overlapping) replaced by what `replace` makes of it;
 * everything between the ranges stays as it is.
 */
export function replaceRanges(
  text: string,
  ranges: readonly TextRange[],
  replace: (slice: string) => string,
): string {
  let result = '';
  let done = 0;
  for (const { start, end } of ranges) {
    result += text.slice(done, start) + replace(text.slice(start, end));
    done = end;
  }
  return result + text.slice(done);
}
