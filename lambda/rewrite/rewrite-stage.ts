import { Transform, type TransformCallback } from 'node:stream';
import { BodySelector } from './body-selection';
import { CalendarLookahead } from './calendar-lookahead';
import { carriesMarker, editTopHeaders, topHeadersOf } from './header-edits';
import { markToken } from './html-marks';
import { type MimePart, partName } from './mime-part';
import { type MimeEvent, MimeSplitter } from './mime-splitter';
import { declareCharset, rewritePart } from './part-rewrite';
import { RewriteDeclinedError } from './rewrite-declined';
import type {
  ContentPlan,
  MessageHead,
  PartReport,
  RewriteOptions,
  RewriteReport,
} from './rewrite-rules';
import { countBareLineFeeds, repairLineEnds } from './stream-guards';
import { checkAllClosed, checkBoundary, checkTopHeader } from './structure-checks';
import type { BodyKind, Marks } from './text-insertion';
import { base64Body, needsReencoding } from './transfer-encoding';

/** Text parts larger than this pass unchanged, so memory stays bounded. */
export const DEFAULT_MAX_REWRITE_PART_BYTES = 16 * 1024 * 1024;
/** At most this much of what follows a fragment is held back while its footer is decided. */
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;

const EOL = '\r\n';

/** Output bytes in order. `verbatim`: a binary part's, never touched by line-end repair. */
interface Piece {
  bytes: Buffer;
  verbatim?: boolean;
  delimiter?: boolean;
}

/** A part held whole before it is written: a displayed fragment, or a binary part to check. */
interface Collected {
  part: MimePart;
  chunks: Buffer[];
  size: number;
  /** Set for a displayed text or HTML fragment of a display group. */
  fragment?: { kind: BodyKind; group: object; banner: boolean };
}

/**
 * Reads the message with the splitter and writes it back, changing the top-level headers and
 * adding the banner and the footer to the displayed body; every other byte goes out as it came
 * (bare LFs made CRLF, as WorkMail requires; binary parts only re-encoded when WorkMail would
 * refuse their bytes).
 *
 * A fragment is collected until its body ends. The banner goes on the first fragment of a
 * display group; whether a fragment is the last one (and gets the footer) is known only when the
 * next part starts, so the last fragment seen is held, and what follows it is queued, until then.
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
  private readonly splitter = new MimeSplitter();
  private readonly selector = new BodySelector();
  private readonly bannerGiven = new WeakSet<object>();
  private readonly footerGiven = new WeakSet<object>();
  private readonly multiparts: MimePart[] = [];
  private readonly maxPartBytes: number;
  private readonly maxHeldBytes: number;
  private content: ContentPlan = {};
  /** Set once the caller's plan arrived (`apply`); what follows the head waits for it. */
  private planned = false;
  /** The rest of the input's processing, waiting for the plan. */
  private waitingForPlan: (() => void) | undefined;
  private collecting: Collected | undefined;
  private held: Collected | undefined;
  private queue: Piece[] = [];
  private queuedBytes = 0;
  private breakBeforeDelimiter = false;
  private token: string | undefined;
  private lookahead: CalendarLookahead | undefined;
  private lastByte = -1;
  private lastInputByte = -1;
  private announced = false;

  constructor(
    private readonly options: RewriteOptions,
    private readonly onHead: (head: MessageHead) => void,
  ) {
    super();
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

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.report.bytesIn += chunk.length;
    this.report.lineEndingsFixed += countBareLineFeeds(chunk, this.lastInputByte);
    this.lastInputByte = chunk[chunk.length - 1] ?? this.lastInputByte;
    this.run(() => this.splitter.write(chunk), 0, done);
  }

  override _flush(done: TransformCallback) {
    this.run(
      () => this.splitter.end(),
      0,
      (error) => {
        if (error) return done(error);
        try {
          if (this.lookahead) this.endLookahead(this.lookahead);
          if (this.collecting) this.finishCollecting(this.collecting);
          if (this.held) this.resolveHeld(true);
          if (this.report.bytesIn === 0) {
            throw new RewriteDeclinedError('empty', 'the message is empty');
          }
          checkAllClosed(this.multiparts);
          done();
        } catch (failure) {
          done(failure as Error);
        }
      },
    );
  }

  /**
   * Takes the events `read` gives, from `from` on. At the message's head it tells the caller
   * and, unless the message is this engine's own output, waits for the plan before going on.
   */
  private run(read: () => MimeEvent[], from: number, done: TransformCallback) {
    try {
      const events = read();
      for (let i = from; i < events.length; i++) {
        const event = events[i] as MimeEvent;
        if (event.type === 'head' && !event.part.parent && this.mustWaitAfter(event.part)) {
          this.waitingForPlan = () => this.run(() => events, i, done);
          return;
        }
        this.accept(event);
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  /** Announces the head (once); true when what follows must wait for the plan. */
  private mustWaitAfter(root: MimePart): boolean {
    if (this.announced) return false;
    this.announced = true;
    checkTopHeader(root.header);
    const alreadyRewritten = carriesMarker(root.header, this.options.marker);
    this.onHead({ alreadyRewritten, headers: topHeadersOf(root.header) });
    return !this.planned && !alreadyRewritten;
  }

  private accept(event: MimeEvent) {
    if (this.lookahead) {
      this.lookAhead(this.lookahead, event);
      return;
    }
    const collecting = this.collecting;
    if (collecting && event.type === 'body' && event.part === collecting.part) {
      this.collect(collecting, event.raw);
      return;
    }
    if (collecting) this.finishCollecting(collecting);
    if (event.type === 'head') this.handleHead(event.part);
    else this.forward({ bytes: event.raw, delimiter: event.type === 'delimiter' });
    if (this.held && this.queuedBytes > this.maxHeldBytes) {
      this.resolveHeld(
        true,
        'footer placed early: too much followed this part to wait for the end',
      );
    }
  }

  private collect(collecting: Collected, raw: Buffer) {
    collecting.chunks.push(raw);
    collecting.size += raw.length;
    if (collecting.size <= this.maxPartBytes) return;
    this.collecting = undefined;
    // A binary part's bytes are checked whole before any goes out: past the limit they cannot be.
    if (collecting.part.encoding === 'binary') {
      throw new RewriteDeclinedError(
        'too-large',
        `binary part ${partName(collecting.part)} is larger than ${this.maxPartBytes} bytes: its line ends cannot be checked`,
      );
    }
    this.leaveAsIs(collecting.part, this.bodyOf(collecting), 'part too large to rewrite');
  }

  private handleHead(part: MimePart) {
    if (!part.parent) this.handleRoot(part);
    if (part.boundary) {
      checkBoundary(part);
      this.multiparts.push(part);
    }
    if (this.report.alreadyRewritten) {
      this.forward({ bytes: part.header.toBuffer() });
      return;
    }
    const role = this.selector.classify(part);
    const held = this.held;
    if (held?.fragment) {
      if (role.role === 'fragment') this.resolveHeld(role.group !== held.fragment.group);
      else if (
        role.role === 'protected' ||
        role.startsGroup ||
        role.attachment ||
        !this.selector.inGroup(part, held.fragment.group)
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
      const fragment = { kind: role.kind, group: role.group, banner };
      this.collecting = { part, chunks: [], size: 0, fragment };
      return;
    }
    if (role.role === 'protected') {
      this.report.parts.push({
        ...this.partReport(part, 0, 0),
        contentType: part.contentType,
        change: 'skipped',
        reason: role.reason,
      });
    }
    if (part.encoding === 'binary' && !part.boundary) {
      this.collecting = { part, chunks: [], size: 0 };
      return;
    }
    this.forward({ bytes: part.header.toBuffer() });
    if (
      role.role === 'other' &&
      part.multipart === 'alternative' &&
      this.content.leaveCalendarReplies
    ) {
      this.lookahead = new CalendarLookahead(part);
    }
  }

  private handleRoot(part: MimePart) {
    if (carriesMarker(part.header, this.options.marker)) {
      this.report.alreadyRewritten = true;
      return;
    }
    editTopHeaders(part.header, this.content, this.options.marker, this.report);
  }

  /** Holds a multipart/alternative until it ends or a calendar answer shows up in it. */
  private lookAhead(ahead: CalendarLookahead, event: MimeEvent) {
    const state = ahead.add(event);
    if (state === 'answer') {
      this.content = {
        ...this.content,
        banner: undefined,
        footer: undefined,
        leaveCalendarReplies: false,
      };
      this.report.bodyLeftAsIs = 'calendar-reply';
    }
    if (state !== 'waiting') this.endLookahead(ahead);
  }

  private endLookahead(ahead: CalendarLookahead) {
    this.lookahead = undefined;
    for (const event of ahead.events) this.accept(event);
  }

  private finishCollecting(collected: Collected) {
    this.collecting = undefined;
    if (!collected.fragment) {
      this.writePart(collected.part, this.bodyOf(collected));
      return;
    }
    if (this.content.footer?.text || this.content.footer?.html) {
      this.held = collected;
      return;
    }
    this.release(collected, false);
  }

  /** Settles the held fragment: with the footer if it was its group's last, then the queue. */
  private resolveHeld(footer: boolean, note?: string) {
    const held = this.held;
    if (!held?.fragment) return;
    this.held = undefined;
    // One footer per group, even when the hold limit forced it onto an earlier fragment.
    const lastOfGroup = footer && !this.footerGiven.has(held.fragment.group);
    if (lastOfGroup) this.footerGiven.add(held.fragment.group);
    this.release(held, lastOfGroup, note);
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const piece of queue) this.pushOut(piece);
  }

  private release(collected: Collected, footer: boolean, note?: string) {
    const { part } = collected;
    const { kind, banner } = collected.fragment as NonNullable<Collected['fragment']>;
    const raw = this.bodyOf(collected);
    const result = rewritePart({
      part,
      kind,
      raw,
      additions: {
        banner: banner ? this.content.banner?.[kind] || undefined : undefined,
        footer: footer ? this.content.footer?.[kind] || undefined : undefined,
      },
      marks: this.marks(),
      // Read even where nothing is added: a stranger's copy of our mark goes from untrusted
      // HTML, and our own banner from the quoted thread of a reply.
      inspect:
        (this.content.untrusted === true && kind === 'html') || Boolean(this.content.cleanReplies),
      eol: EOL,
    });
    if (result.outcome === 'pass') return this.writePart(part, raw);
    if (result.outcome === 'skipped') return this.leaveAsIs(part, raw, result.reason);
    if (result.outcome === 'already-present') {
      this.writePart(part, raw);
      this.report.parts.push({
        ...this.partReport(part, raw.length, raw.length),
        change: 'already-present',
      });
      return;
    }
    const report: PartReport = {
      ...this.partReport(part, raw.length, result.body.length),
      change: 'rewritten',
      added: result.added,
      ...(result.neutralised ? { neutralised: result.neutralised } : {}),
      ...(result.removed ? { removed: result.removed } : {}),
      ...(note ? { reason: note } : {}),
    };
    const header = part.header;
    if (result.encoding !== part.encoding) {
      header.set('Content-Transfer-Encoding', result.encoding);
      report.transferEncoding = { from: part.encoding || '7bit', to: result.encoding };
    }
    if (result.charset) {
      report.charset = { from: part.charset || 'us-ascii', to: result.charset };
      declareCharset(header, part, result.charset);
    }
    this.report.parts.push(report);
    this.forward({ bytes: header.toBuffer() });
    this.forward({ bytes: result.body });
    // After an empty body the next delimiter may come with no line break in front (the blank
    // line that ended the headers served): new content must not run into it.
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

  private partReport(part: MimePart, bytesBefore: number, bytesAfter: number) {
    return { part: partName(part), contentType: part.contentType, bytesBefore, bytesAfter };
  }

  private leaveAsIs(part: MimePart, raw: Buffer, reason: string) {
    this.writePart(part, raw);
    this.report.parts.push({
      ...this.partReport(part, raw.length, raw.length),
      change: 'skipped',
      reason,
    });
  }

  /**
   * Writes a part whose content does not change. A binary part keeps its bytes exactly, unless
   * WorkMail would refuse them (bare line ends, long lines): then it goes as base64, which
   * decodes to the same bytes.
   */
  private writePart(part: MimePart, raw: Buffer) {
    if (part.encoding !== 'binary' || !needsReencoding(raw)) {
      const verbatim = part.encoding === 'binary';
      this.forward({ bytes: part.header.toBuffer() });
      if (raw.length) this.forward({ bytes: raw, verbatim });
      return;
    }
    part.header.set('Content-Transfer-Encoding', 'base64');
    const body = base64Body(raw, EOL);
    this.report.parts.push({
      ...this.partReport(part, raw.length, body.length),
      change: 'reencoded',
      reason: 'binary content with line ends WorkMail refuses: sent as base64, same bytes decoded',
      transferEncoding: { from: 'binary', to: 'base64' },
    });
    this.forward({ bytes: part.header.toBuffer() });
    this.forward({ bytes: body });
  }

  private bodyOf(collected: Collected): Buffer {
    return Buffer.concat(collected.chunks, collected.size);
  }

  /** Pushes, or queues while a fragment is held (output order must follow input order). */
  private forward(piece: Piece) {
    if (!this.held) {
      this.pushOut(piece);
      return;
    }
    this.queue.push(piece);
    this.queuedBytes += piece.bytes.length;
  }

  private pushOut(piece: Piece) {
    let bytes = piece.bytes;
    if (this.breakBeforeDelimiter && piece.delimiter && bytes[0] !== 0x0d && bytes[0] !== 0x0a) {
      bytes = Buffer.concat([Buffer.from(EOL), bytes]);
    }
    this.breakBeforeDelimiter = false;
    if (bytes.length === 0) return;
    // Input without a bare LF gives output without one: the repair is skipped (CRLF mail).
    if (!piece.verbatim && this.report.lineEndingsFixed > 0) {
      bytes = repairLineEnds(bytes, this.lastByte).bytes;
    }
    this.lastByte = bytes[bytes.length - 1] as number;
    this.push(bytes);
  }
}
