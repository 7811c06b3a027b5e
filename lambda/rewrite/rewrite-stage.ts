import { Transform, type TransformCallback } from 'node:stream';
import type { Headers, MimeNode, SplitterChunk } from '@zone-eu/mailsplit';
import { type BodyKind, BodySelector } from './body-selection';
import type { PartReport, RewriteReport, RewriteRules } from './rewrite-rules';
import { newSubjectLine, tagSubjectLine } from './subject-tag';
import { insertIntoBody } from './text-insertion';
import { decodeTransfer, encodeTransfer } from './transfer-encoding';

/** Text parts larger than this pass unchanged, so memory stays bounded. */
export const DEFAULT_MAX_REWRITE_PART_BYTES = 16 * 1024 * 1024;

interface PendingPart {
  node: MimeNode;
  kind: Exclude<BodyKind, 'none'>;
  addition: string;
  chunks: Buffer[];
  size: number;
}

function partName(node: MimeNode): string {
  return node.partNr ? node.partNr.join('.') : '';
}

/** Line ending of a header block; the block decides for everything the engine writes. */
function lineEndingOf(headers: Buffer): string {
  const lf = headers.indexOf(0x0a);
  return lf > 0 && headers[lf - 1] === 0x0d ? '\r\n' : lf < 0 ? '\r\n' : '\n';
}

/**
 * Object-mode stage between mailsplit's Splitter and Joiner. It edits the top-level headers
 * (marker, subject tag) and rewrites the displayed text and HTML body parts. Every other chunk
 * passes through as the same object, so its bytes come out identical. A selected part is held
 * until its last body chunk, then decoded, changed, encoded and released.
 */
export class RewriteStage extends Transform {
  readonly report: RewriteReport = {
    alreadyRewritten: false,
    subject: 'not-configured',
    foreignMarkerRemoved: false,
    parts: [],
    bytesIn: 0,
    bytesOut: 0,
  };
  private readonly selector = new BodySelector();
  private readonly maxPartBytes: number;
  private pending: PendingPart | undefined;
  private eol = '\r\n';

  constructor(
    private readonly rules: RewriteRules,
    private readonly onHead: (head: { alreadyRewritten: boolean }) => void,
    private readonly bytesRead: () => number,
  ) {
    super({ objectMode: true });
    this.maxPartBytes = rules.maxRewritePartBytes ?? DEFAULT_MAX_REWRITE_PART_BYTES;
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, done: TransformCallback) {
    const pending = this.pending;
    if (pending && chunk.type === 'body' && chunk.node === pending.node) {
      pending.chunks.push(chunk.value);
      pending.size += chunk.value.length;
      if (pending.size > this.maxPartBytes)
        this.releaseUnchanged(pending, 'part too large to rewrite');
      return done();
    }
    if (pending) this.finishPart(pending);
    if (chunk.type === 'node') this.handleNode(chunk);
    else this.push(chunk);
    done();
  }

  override _flush(done: TransformCallback) {
    if (this.pending) this.finishPart(this.pending);
    // The splitter invents a root node even for zero bytes of input.
    if (this.bytesRead() === 0) return done(new Error('message is empty'));
    done();
  }

  private handleNode(node: MimeNode) {
    if (node.root) this.handleRoot(node);
    const kind = this.report.alreadyRewritten ? 'none' : this.selector.classify(node);
    const addition =
      kind === 'text'
        ? this.rules.textDisclaimer
        : kind === 'html'
          ? this.rules.htmlDisclaimer
          : undefined;
    if (kind === 'none' || !addition) {
      this.push(node);
      return;
    }
    this.pending = { node, kind, addition, chunks: [], size: 0 };
  }

  private handleRoot(node: MimeNode) {
    const headers = node.headers as Headers;
    this.eol = lineEndingOf(node.getHeaders());
    const { header, value } = this.rules.marker;
    const markers = headers.get(header).map((line) => line.slice(line.indexOf(':') + 1).trim());
    if (markers.includes(value)) {
      this.report.alreadyRewritten = true;
      this.onHead({ alreadyRewritten: true });
      return;
    }
    if (markers.length > 0) {
      headers.remove(header);
      this.report.foreignMarkerRemoved = true;
    }
    this.tagSubject(headers);
    headers.add(header, value);
    this.onHead({ alreadyRewritten: false });
  }

  private tagSubject(headers: Headers) {
    const tag = this.rules.subjectTag;
    if (!tag) return;
    const subject = headers.getList().find((line) => line.key === 'subject');
    if (!subject) {
      headers.addFormatted('Subject', newSubjectLine(tag), headers.getList().length);
      this.report.subject = 'added';
      return;
    }
    const tagged = tagSubjectLine(subject.line, tag);
    if (tagged === undefined) {
      this.report.subject = 'already-tagged';
      return;
    }
    // Edit the line in place: mailsplit rebuilds changed blocks from these raw lines.
    subject.line = tagged;
    headers.changed = true;
    this.report.subject = 'tagged';
  }

  private releaseUnchanged(part: PendingPart, reason: string) {
    this.pending = undefined;
    this.push(part.node);
    for (const value of part.chunks) this.push({ node: part.node, type: 'body', value });
    this.report.parts.push({
      part: partName(part.node),
      contentType: part.node.contentType || 'text/plain',
      change: 'skipped',
      reason,
      bytesBefore: part.size,
      bytesAfter: part.size,
    });
  }

  private finishPart(part: PendingPart) {
    this.pending = undefined;
    const { node } = part;
    const raw = Buffer.concat(part.chunks, part.size);
    const from = node.encoding || '';
    const inserted = insertIntoBody(
      decodeTransfer(raw, from),
      node.charset,
      part.kind,
      part.addition,
      this.eol,
    );
    if (!inserted.ok) {
      this.releaseUnchanged({ ...part, chunks: [raw] }, inserted.reason);
      return;
    }
    const endsWithEol = raw.length > 0 && raw[raw.length - 1] === 0x0a;
    const encoded = encodeTransfer(inserted.body, from, inserted.nonAscii, this.eol, endsWithEol);
    const report: PartReport = {
      part: partName(node),
      contentType: node.contentType || 'text/plain',
      change: 'disclaimer-added',
      bytesBefore: raw.length,
      bytesAfter: encoded.raw.length,
    };
    const headers = node.headers as Headers;
    if (encoded.encoding !== from) {
      headers.update('Content-Transfer-Encoding', encoded.encoding);
      node.encoding = encoded.encoding;
      report.transferEncoding = { from: from || '7bit', to: encoded.encoding };
    }
    if (inserted.charset) {
      report.charset = { from: node.charset || 'us-ascii', to: inserted.charset };
      node.setCharset(inserted.charset);
    }
    this.report.parts.push(report);
    this.push(node);
    this.push({ node, type: 'body', value: encoded.raw });
  }
}
