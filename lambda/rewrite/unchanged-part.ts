import { type MimePart, partName, partReport } from './mime-part';
import type { Piece } from './ordered-output';
import { RewriteDeclinedError } from './rewrite-declined';
import type { PartReport } from './rewrite-rules';
import { base64Body, needsReencoding } from './transfer-encoding';

/**
 * A binary part is held whole before any of it goes out, so that its line ends can be checked:
 * past the part limit it cannot be, and the message is declined.
 */
export function checkBinaryHoldable(part: MimePart, size: number, maxPartBytes: number) {
  if (part.encoding !== 'binary' || size <= maxPartBytes) return;
  throw new RewriteDeclinedError(
    'too-large',
    `binary part ${partName(part)} is larger than ${maxPartBytes} bytes: its line ends cannot be checked`,
  );
}

/**
 * How a part whose content does not change goes out. A binary part keeps its bytes exactly,
 * unless WorkMail would refuse them (bare line ends, long lines): then it goes as base64, which
 * decodes to the same bytes, and the report says so.
 */
export function unchangedPart(
  part: MimePart,
  raw: Buffer,
  eol: string,
): { pieces: Piece[]; report?: PartReport } {
  if (part.encoding !== 'binary' || !needsReencoding(raw)) {
    const verbatim = part.encoding === 'binary';
    const body = raw.length ? [{ bytes: raw, verbatim }] : [];
    return { pieces: [{ bytes: part.header.toBuffer() }, ...body] };
  }
  part.header.set('Content-Transfer-Encoding', 'base64');
  const body = base64Body(raw, eol);
  return {
    pieces: [{ bytes: part.header.toBuffer() }, { bytes: body }],
    report: {
      ...partReport(part, raw.length, body.length),
      change: 'reencoded',
      reason: 'binary content with line ends WorkMail refuses: sent as base64, same bytes decoded',
      transferEncoding: { from: 'binary', to: 'base64' },
    },
  };
}
