import type { HeaderBlock } from './header-block';
import type { MimePart } from './mime-part';
import { RewriteDeclinedError } from './rewrite-declined';

/**
 * A boundary that an enclosing multipart's boundary starts with (or the reverse) makes the
 * structure ambiguous: readers disagree on where parts end, which hides content from some.
 */
export function checkBoundary(part: MimePart) {
  const boundary = part.boundary;
  if (!boundary) return;
  for (let outer = part.parent; outer; outer = outer.parent) {
    const other = outer.boundary;
    if (other && (boundary.indexOf(other) === 0 || other.indexOf(boundary) === 0)) {
      throw new RewriteDeclinedError(
        'ambiguous-boundary',
        'a nested multipart reuses the boundary of an enclosing one; readers disagree on its parts',
      );
    }
  }
}

/**
 * A CR that ends no line inside a top-level header field: some readers take it for a line end
 * and see two fields where others see one (a hidden header, or a subject that is not what it
 * seems). WorkMail refuses it anyway; the engine declines, naming the field.
 */
export function checkTopHeader(header: HeaderBlock) {
  for (const field of header.fields) {
    if (!/\r(?!\n)/.test(field.line)) continue;
    const name = field.line.slice(0, Math.max(field.line.indexOf(':'), 0)).trim() || '(no name)';
    throw new RewriteDeclinedError(
      'bare-cr',
      `the top-level header field ${JSON.stringify(name.slice(0, 60))} holds a carriage return that ends no line`,
    );
  }
}

/** Multiparts are checked for their closing delimiter; a missing one is never repaired. */
export function checkAllClosed(multiparts: readonly MimePart[]) {
  if (multiparts.some((part) => !part.closed)) {
    throw new RewriteDeclinedError(
      'missing-final-boundary',
      'a multipart has no closing delimiter; the engine does not repair structure',
    );
  }
}
