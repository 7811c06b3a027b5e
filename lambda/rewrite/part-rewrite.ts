import type { HeaderBlock } from './header-block';
import { type MimePart, partReport } from './mime-part';
import type { PartReport } from './rewrite-rules';
import { spliceEncoded } from './splice';
import { type Additions, type BodyKind, insertIntoBody, type Marks } from './text-insertion';
import { decodeTransfer, encodeTransfer, isReadableEncoding } from './transfer-encoding';

import libmime = require('libmime');

/** A displayed part with its additions. */
export interface Rewritten {
  outcome: 'rewritten';
  body: Buffer;
  /** The Content-Transfer-Encoding the new body has. */
  encoding: string;
  /** Set when the text was converted: the charset to declare. */
  charset?: string;
  added: ('banner' | 'footer')[];
  neutralised: number;
  removed: number;
}

/** What to do with one displayed text or HTML part. */
export type PartRewrite =
  /** Its bytes stay; nothing worth a report. */
  | { outcome: 'pass' }
  /** Its bytes stay, for this reason. */
  | { outcome: 'skipped'; reason: string }
  /** Its bytes stay: banner and footer are there already. */
  | { outcome: 'already-present' }
  | Rewritten;

export interface PartRewriteInput {
  part: MimePart;
  kind: BodyKind;
  /** The part's body as it came (transfer-encoded). */
  raw: Buffer;
  additions: Additions;
  marks: Marks;
  /** Read the part even without additions (foreign marks, own banners in quoted text). */
  inspect: boolean;
  eol: string;
}

/**
 * Decides and makes the change to one displayed part: decode, insert, encode. Pure: the caller
 * writes the result and edits the part's headers.
 */
export function rewritePart(input: PartRewriteInput): PartRewrite {
  const { part, kind, raw, additions, marks } = input;
  const adding = Boolean(additions.banner || additions.footer);
  // Only a banner or footer that could not be placed is worth a report.
  const leave = (reason: string): PartRewrite =>
    adding ? { outcome: 'skipped', reason } : { outcome: 'pass' };
  if (!adding && !input.inspect) return { outcome: 'pass' };
  if (!isReadableEncoding(part.encoding)) {
    return leave(`unknown transfer encoding ${JSON.stringify(part.encoding.slice(0, 40))}`);
  }
  if (part.headEnd !== 'blank-line') {
    return leave('no blank line after the part headers: readers disagree on where its body starts');
  }
  const decoded = decodeTransfer(raw, part.encoding);
  const inserted = insertIntoBody(
    decoded,
    { kind, charset: part.charset ?? false, flowed: part.flowed },
    additions,
    marks,
    input.eol,
  );
  if (!inserted.ok) return leave(inserted.reason);
  if (inserted.added.length === 0 && inserted.neutralised === 0 && inserted.removed === 0) {
    return adding ? { outcome: 'already-present' } : { outcome: 'pass' };
  }
  const changes = {
    added: inserted.added,
    neutralised: inserted.neutralised,
    removed: inserted.removed,
  };
  // The common case, nothing converted: the additions go into the encoded body as it is.
  const spliced =
    inserted.insertions && !inserted.charset
      ? spliceEncoded(raw, part.encoding, inserted.insertions, decoded.length)
      : undefined;
  if (spliced) return { outcome: 'rewritten', body: spliced, encoding: part.encoding, ...changes };
  const endsWithEol = raw.length > 0 && raw[raw.length - 1] === 0x0a;
  const encoded = encodeTransfer(
    inserted.body,
    part.encoding,
    inserted.nonAscii,
    input.eol,
    endsWithEol,
  );
  return {
    outcome: 'rewritten',
    body: encoded.raw,
    encoding: encoded.encoding,
    ...(inserted.charset ? { charset: inserted.charset } : {}),
    ...changes,
  };
}

/**
 * Edits a rewritten part's header block to declare its new transfer encoding and charset, and
 * says what changed. `raw`: the body as it came.
 */
export function declareRewrite(
  part: MimePart,
  raw: Buffer,
  result: Rewritten,
  note?: string,
): PartReport {
  const report: PartReport = {
    ...partReport(part, raw.length, result.body.length),
    change: 'rewritten',
    added: result.added,
    ...(result.neutralised ? { neutralised: result.neutralised } : {}),
    ...(result.removed ? { removed: result.removed } : {}),
    ...(note ? { reason: note } : {}),
  };
  if (result.encoding !== part.encoding) {
    part.header.set('Content-Transfer-Encoding', result.encoding);
    report.transferEncoding = { from: part.encoding || '7bit', to: result.encoding };
  }
  if (result.charset) {
    report.charset = { from: part.charset || 'us-ascii', to: result.charset };
    declareCharset(part.header, part, result.charset);
  }
  return report;
}

/** Declares a new charset on a part: in its Content-Type, or in a new one at the block's end. */
function declareCharset(header: HeaderBlock, part: MimePart, charset: string) {
  const current = header.first('content-type');
  if (current === undefined) {
    header.set('Content-Type', `${part.contentType}; charset=${charset}`);
    return;
  }
  const parsed = libmime.parseHeaderValue(current);
  parsed.params.charset = charset;
  header.set('Content-Type', libmime.buildHeaderValue(parsed));
}
