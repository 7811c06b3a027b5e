import { Transform, type TransformCallback } from 'node:stream';
import type { Headers, MimeNode, SplitterChunk } from '@zone-eu/mailsplit';
import { BodySelector } from './body-selection';
import { isCalendarReply } from './calendar-reply';
import { markToken } from './html-marks';
import { RewriteDeclinedError } from './rewrite-declined';
import type {
  ContentPlan,
  MessageHead,
  PartReport,
  RewriteOptions,
  RewriteReport,
  TopHeaders,
} from './rewrite-rules';
import { displayText, newSubjectLine, tagSubjectLine, untagSubjectLine } from './subject';

import libmime = require('libmime');

import { type BodyKind, insertIntoBody, type Marks } from './text-insertion';
import { decodeTransfer, encodeTransfer } from './transfer-encoding';

/** Text parts larger than this pass unchanged, so memory stays bounded. */
export const DEFAULT_MAX_REWRITE_PART_BYTES = 16 * 1024 * 1024;
/** At most this much of what follows a fragment is held back while its footer is decided. */
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;

/** Calendar answers are small: an alternative larger than this is not one worth waiting for. */
const MAX_LOOKAHEAD_BYTES = 1024 * 1024;

/** A multipart/alternative held back while it is searched for a calendar answer. */
interface Lookahead {
  delimiter: Buffer;
  chunks: SplitterChunk[];
  bytes: number;
}

/** Whether `data` holds `delimiter` at the start of a line. */
function startsLineWith(data: Buffer, delimiter: Buffer): boolean {
  const at = data.indexOf(delimiter);
  return at >= 0 && (at === 0 || data[at - 1] === 0x0a);
}

/** A displayed text or HTML fragment, collected whole before it is changed. */
interface Fragment {
  node: MimeNode;
  kind: BodyKind;
  group: object;
  /** The first fragment of its display group: it gets the banner. */
  banner: boolean;
  chunks: Buffer[];
  size: number;
}

/**
 * Sets a header: in place of the existing one(s), or appended to the block. Trace headers
 * (Received, Return-Path) stay on top, and a later run finds everything where it left it.
 */
function setHeader(headers: Headers, name: string, value: string) {
  if (headers.hasHeader(name)) headers.update(name, value);
  else headers.add(name, value, headers.getList().length);
}

/** A header value as written: ASCII as is, anything else as RFC 2047 words. */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : libmime.encodeWords(value, 'Q', 52);
}

/** A copy of the header block as read: the edits that follow do not show through. */
function topHeadersOf(headers: Headers): TopHeaders {
  const lines = headers.getList().map(({ key, line }) => ({ key, line }));
  const values = (name: string) =>
    lines
      .filter(({ key }) => key === name.toLowerCase())
      .map(({ line }) => displayText(line.slice(line.indexOf(':') + 1)).trim());
  return { get: values, subject: () => values('subject')[0] ?? '' };
}

function partName(node: MimeNode): string {
  return node.partNr ? node.partNr.join('.') : '';
}

function chunkSize(chunk: SplitterChunk): number {
  return chunk.type === 'node' ? 0 : chunk.value.length;
}

/**
 * Object-mode stage between mailsplit's Splitter and Joiner. It edits the top-level headers
 * (marker, subject tag) and adds the banner and the footer to the displayed body. Every other
 * chunk passes as the same object, so its bytes come out identical.
 *
 * A fragment is collected until its last body chunk. The banner goes on the first fragment of a
 * display group; whether a fragment is the last one (and gets the footer) is known only when the
 * next node arrives, so the last fragment seen is held, and what follows it is queued, until then.
 */
export class RewriteStage extends Transform {
  readonly report: RewriteReport = {
    alreadyRewritten: false,
    subject: 'not-configured',
    foreignMarkerRemoved: false,
    headersSet: [],
    headersRemoved: [],
    parts: [],
    bytesIn: 0,
    bytesOut: 0,
    lineEndingsFixed: 0,
  };
  private readonly selector = new BodySelector();
  private readonly bannerGiven = new WeakSet<object>();
  private readonly footerGiven = new WeakSet<object>();
  private readonly maxPartBytes: number;
  private readonly maxHeldBytes: number;
  private content: ContentPlan = {};
  /** Set once the caller's plan arrived (`apply`); the root waits for it. */
  private planned = false;
  /** The root node's processing, waiting for the plan. */
  private waitingForPlan: (() => void) | undefined;
  private collecting: Fragment | undefined;
  private held: Fragment | undefined;
  private queue: SplitterChunk[] = [];
  private queuedBytes = 0;
  private readonly unclosed = new Map<MimeNode, Buffer>();
  private eol = '\r\n';
  private breakBeforeDelimiter = false;
  private token: string | undefined;
  private lookahead: Lookahead | undefined;

  constructor(
    private readonly options: RewriteOptions,
    private readonly onHead: (head: MessageHead) => void,
    private readonly bytesRead: () => number,
  ) {
    super({ objectMode: true });
    this.maxPartBytes = options.maxRewritePartBytes ?? DEFAULT_MAX_REWRITE_PART_BYTES;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  }

  /** The plan for this message; the stage goes on past the head once it has it. Call once. */
  apply(plan: ContentPlan) {
    if (this.planned) throw new Error('a rewrite takes one plan');
    this.content = plan;
    this.planned = true;
    const waiting = this.waitingForPlan;
    this.waitingForPlan = undefined;
    waiting?.();
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, done: TransformCallback) {
    if (chunk.type === 'node' && chunk.root) {
      // The head goes out first; the rest waits for the plan decided on it (none for our own
      // output, which passes unchanged).
      const alreadyRewritten = this.carriesOwnMarker(chunk.headers as Headers);
      this.onHead({ alreadyRewritten, headers: topHeadersOf(chunk.headers as Headers) });
      if (!this.planned && !alreadyRewritten) {
        this.waitingForPlan = () => this.process(chunk, done);
        return;
      }
    }
    this.process(chunk, done);
  }

  private process(chunk: SplitterChunk, done: TransformCallback) {
    try {
      this.accept(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private accept(chunk: SplitterChunk) {
    if (this.lookahead) {
      this.lookAhead(this.lookahead, chunk);
      return;
    }
    const collecting = this.collecting;
    if (collecting && chunk.type === 'body' && chunk.node === collecting.node) {
      collecting.chunks.push(chunk.value);
      collecting.size += chunk.value.length;
      if (collecting.size > this.maxPartBytes) {
        this.collecting = undefined;
        this.releaseUnchanged(collecting, 'part too large to rewrite');
      }
      return;
    }
    if (collecting) this.finishCollecting(collecting);
    if (chunk.type === 'node') this.handleNode(chunk);
    else {
      if (chunk.type === 'data') this.noteClosingDelimiters(chunk.value);
      this.forward(chunk);
    }
    if (this.held && this.queuedBytes > this.maxHeldBytes) {
      this.resolveHeld(
        true,
        'footer placed early: too much followed this part to wait for the end',
      );
    }
  }

  override _flush(done: TransformCallback) {
    try {
      if (this.lookahead) this.endLookahead(this.lookahead);
      if (this.collecting) this.finishCollecting(this.collecting);
      if (this.held) this.resolveHeld(true);
    } catch (error) {
      return done(error as Error);
    }
    // The splitter invents a root node even for zero bytes of input.
    if (this.bytesRead() === 0)
      return done(new RewriteDeclinedError('empty', 'the message is empty'));
    if (this.unclosed.size > 0) {
      return done(
        new RewriteDeclinedError(
          'missing-final-boundary',
          'a multipart has no closing delimiter; the engine does not repair structure',
        ),
      );
    }
    done();
  }

  /** Pushes, or queues while a fragment is held (output order must follow input order). */
  private forward(chunk: SplitterChunk) {
    if (!this.held) {
      this.pushOut(chunk);
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunkSize(chunk);
  }

  private pushOut(chunk: SplitterChunk) {
    if (
      this.breakBeforeDelimiter &&
      chunk.type === 'data' &&
      chunk.value[0] !== 0x0d &&
      chunk.value[0] !== 0x0a
    ) {
      this.push({ ...chunk, value: Buffer.concat([Buffer.from(this.eol), chunk.value]) });
    } else this.push(chunk);
    if (chunk.type !== 'body') this.breakBeforeDelimiter = false;
  }

  private handleNode(node: MimeNode) {
    if (node.root) this.handleRoot(node);
    if (node.multipart && node.headers) this.trackClosingDelimiter(node);
    if (this.report.alreadyRewritten) {
      this.push(node);
      return;
    }
    const role = this.selector.classify(node);
    const held = this.held;
    if (held) {
      if (role.role === 'fragment') this.resolveHeld(role.group !== held.group);
      else if (
        role.role === 'protected' ||
        role.startsGroup ||
        role.attachment ||
        !this.selector.inGroup(node, held.group)
      ) {
        // The group has ended (or a nested display starts): the held fragment was its last. An
        // attachment ends the body too: holding the attachment until the end of the message, to
        // learn whether text follows it (rare), would stop the stream and hold it all in memory.
        this.resolveHeld(true);
      }
    }
    if (role.role === 'fragment') {
      const banner = !this.bannerGiven.has(role.group);
      this.bannerGiven.add(role.group);
      this.collecting = { node, kind: role.kind, group: role.group, banner, chunks: [], size: 0 };
      return;
    }
    if (role.role === 'protected') {
      this.report.parts.push({
        part: partName(node),
        contentType: node.contentType || '',
        change: 'skipped',
        reason: role.reason,
        bytesBefore: 0,
        bytesAfter: 0,
      });
    }
    this.forward(node);
    if (role.role === 'other' && node._boundary && this.mayHideCalendarReply(node)) {
      const delimiter = this.unclosed.get(node) as Buffer;
      this.lookahead = { delimiter, chunks: [], bytes: 0 };
    }
  }

  private handleRoot(node: MimeNode) {
    const headers = node.headers as Headers;
    const { header, value } = this.options.marker;
    const markers = this.markers(headers);
    if (markers.includes(value)) {
      this.report.alreadyRewritten = true;
      return;
    }
    this.report.foreignMarkerRemoved = markers.length > 0;
    for (const name of this.content.removeHeaders ?? []) {
      if (!headers.hasHeader(name)) continue;
      headers.remove(name);
      this.report.headersRemoved.push(name);
    }
    this.tagSubject(headers);
    for (const [name, text] of this.content.headers ?? []) {
      const value = headerValue(text);
      const current = headers.get(name).map((line) => line.slice(line.indexOf(':') + 1).trim());
      if (current.length === 1 && current[0] === value) continue;
      setHeader(headers, name, value);
      this.report.headersSet.push(name);
    }
    setHeader(headers, header, value);
  }

  private markers(headers: Headers): string[] {
    return headers
      .get(this.options.marker.header)
      .map((line) => line.slice(line.indexOf(':') + 1).trim());
  }

  private carriesOwnMarker(headers: Headers): boolean {
    return this.markers(headers).includes(this.options.marker.value);
  }

  private tagSubject(headers: Headers) {
    const subjects = headers.getList().filter((line) => line.key === 'subject');
    const subject = subjects[0];
    const cleaned =
      subject && this.content.cleanReplies
        ? untagSubjectLine(subject.line, this.content.cleanReplies.subjectTags)
        : undefined;
    if (subject && cleaned !== undefined) {
      subject.line = cleaned;
      headers.changed = true;
      this.report.subject = 'cleaned';
    }
    const tag = this.content.subjectTag;
    if (!tag) return;
    if (!subject) {
      headers.addFormatted('Subject', newSubjectLine(tag), headers.getList().length);
      this.report.subject = 'added';
      return;
    }
    // Readers differ on which of several Subject: headers they show: every one gets the tag.
    // Lines are edited in place: mailsplit rebuilds changed blocks from these raw lines.
    let changed = false;
    for (const line of subjects) {
      const tagged = tagSubjectLine(line.line, tag);
      if (tagged === undefined) continue;
      line.line = tagged;
      changed = true;
    }
    headers.changed ||= changed;
    this.report.subject = changed ? 'tagged' : 'already-tagged';
  }

  /**
   * Multiparts are checked for their closing delimiter; a missing one is never repaired. A
   * boundary that an enclosing multipart's boundary starts with (or the reverse) makes the
   * structure ambiguous: readers disagree on where parts end, which hides content from some.
   */
  private trackClosingDelimiter(node: MimeNode) {
    const boundary = node._boundary;
    if (!boundary) return;
    for (let outer = node.parentNode; outer; outer = outer.parentNode) {
      const other = outer._boundary;
      if (other && (boundary.indexOf(other) === 0 || other.indexOf(boundary) === 0)) {
        throw new RewriteDeclinedError(
          'ambiguous-boundary',
          'a nested multipart reuses the boundary of an enclosing one; readers disagree on its parts',
        );
      }
    }
    this.unclosed.set(node, Buffer.concat([Buffer.from('--'), boundary, Buffer.from('--')]));
  }

  private noteClosingDelimiters(data: Buffer) {
    for (const [node, delimiter] of this.unclosed) {
      // A delimiter line starts a line: at the start of the chunk or after a line break.
      if (startsLineWith(data, delimiter)) this.unclosed.delete(node);
    }
  }

  /**
   * Holds the chunks of a multipart/alternative until it ends or a calendar answer shows up in
   * it, then lets them through: without banner and footer if one did.
   */
  private lookAhead(ahead: Lookahead, chunk: SplitterChunk) {
    ahead.chunks.push(chunk);
    ahead.bytes += chunkSize(chunk);
    const answer =
      chunk.type === 'node' &&
      isCalendarReply((chunk.headers || undefined)?.getFirst('content-type') ?? '');
    if (answer) {
      this.content = {
        ...this.content,
        banner: undefined,
        footer: undefined,
        leaveCalendarReplies: false,
      };
      this.report.bodyLeftAsIs = 'calendar-reply';
    }
    const ended = chunk.type === 'data' && startsLineWith(chunk.value, ahead.delimiter);
    if (answer || ended || ahead.bytes > MAX_LOOKAHEAD_BYTES) this.endLookahead(ahead);
  }

  private endLookahead(ahead: Lookahead) {
    this.lookahead = undefined;
    for (const chunk of ahead.chunks) this.accept(chunk);
  }

  private mayHideCalendarReply(node: MimeNode): boolean {
    return this.content.leaveCalendarReplies === true && node.multipart === 'alternative';
  }

  private finishCollecting(fragment: Fragment) {
    this.collecting = undefined;
    if (this.content.footer?.text || this.content.footer?.html) {
      this.held = fragment;
      return;
    }
    this.release(fragment, false);
  }

  /** Settles the held fragment: with the footer if it was its group's last, then the queue. */
  private resolveHeld(footer: boolean, note?: string) {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    // One footer per group, even when the hold limit forced it onto an earlier fragment.
    const lastOfGroup = footer && !this.footerGiven.has(held.group);
    if (lastOfGroup) this.footerGiven.add(held.group);
    this.release(held, lastOfGroup, note);
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const chunk of queue) this.pushOut(chunk);
  }

  private release(fragment: Fragment, footer: boolean, note?: string) {
    const { node, kind } = fragment;
    const additions = {
      banner: fragment.banner ? this.content.banner?.[kind] || undefined : undefined,
      footer: footer ? this.content.footer?.[kind] || undefined : undefined,
    };
    const raw = Buffer.concat(fragment.chunks, fragment.size);
    // Read even where nothing is added: a stranger's copy of our mark goes from untrusted HTML,
    // and our own banner from the quoted thread of a reply.
    const inspect =
      (this.content.untrusted === true && kind === 'html') || Boolean(this.content.cleanReplies);
    if (!additions.banner && !additions.footer && !inspect) {
      this.pushPart(node, raw);
      return;
    }
    const from = node.encoding || '';
    const decoded = decodeTransfer(raw, from);
    const inserted = insertIntoBody(
      decoded,
      { kind, charset: node.charset, flowed: node.flowed },
      additions,
      this.marks(),
      this.eol,
    );
    if (!inserted.ok) {
      // Only a banner or footer that could not be placed is worth a report.
      if (additions.banner || additions.footer)
        this.releaseUnchanged({ ...fragment, chunks: [raw] }, inserted.reason);
      else this.pushPart(node, raw);
      return;
    }
    if (inserted.added.length === 0 && inserted.neutralised === 0 && inserted.removed === 0) {
      this.pushPart(node, raw);
      if (additions.banner || additions.footer) {
        this.report.parts.push({
          ...this.partReport(node, raw.length, raw.length),
          change: 'already-present',
        });
      }
      return;
    }
    const endsWithEol = raw.length > 0 && raw[raw.length - 1] === 0x0a;
    const encoded = encodeTransfer(inserted.body, from, inserted.nonAscii, this.eol, endsWithEol);
    const report: PartReport = {
      ...this.partReport(node, raw.length, encoded.raw.length),
      change: 'rewritten',
      added: inserted.added,
      ...(inserted.neutralised ? { neutralised: inserted.neutralised } : {}),
      ...(inserted.removed ? { removed: inserted.removed } : {}),
      ...(note ? { reason: note } : {}),
    };
    const headers = node.headers as Headers;
    if (encoded.encoding !== from) {
      setHeader(headers, 'Content-Transfer-Encoding', encoded.encoding);
      node.encoding = encoded.encoding;
      report.transferEncoding = { from: from || '7bit', to: encoded.encoding };
    }
    if (inserted.charset) {
      report.charset = { from: node.charset || 'us-ascii', to: inserted.charset };
      // mailsplit's setCharset would put a missing Content-Type on top of the block.
      if (headers.hasHeader('Content-Type')) node.setCharset(inserted.charset);
      else
        setHeader(
          headers,
          'Content-Type',
          `${node.contentType || 'text/plain'}; charset=${inserted.charset}`,
        );
    }
    this.report.parts.push(report);
    this.pushPart(node, encoded.raw);
    // After an empty body the splitter may give the next delimiter without a line break in front
    // (the blank line that ended the headers served): new content must not run into it.
    this.breakBeforeDelimiter = raw.length === 0;
  }

  private marks(): Marks {
    this.token ??= markToken(this.options.marker.value);
    const ownBanners = this.content.cleanReplies?.banners;
    return {
      token: this.token,
      untrusted: this.content.untrusted === true,
      ...(ownBanners ? { ownBanners } : {}),
    };
  }

  private partReport(node: MimeNode, bytesBefore: number, bytesAfter: number) {
    return {
      part: partName(node),
      contentType: node.contentType || 'text/plain',
      bytesBefore,
      bytesAfter,
    };
  }

  private releaseUnchanged(fragment: Fragment, reason: string) {
    const raw = Buffer.concat(fragment.chunks, fragment.size);
    this.pushPart(fragment.node, raw);
    this.report.parts.push({
      ...this.partReport(fragment.node, raw.length, raw.length),
      change: 'skipped',
      reason,
    });
  }

  private pushPart(node: MimeNode, body: Buffer) {
    this.forward(node);
    if (body.length) this.forward({ node, type: 'body', value: body });
  }
}
