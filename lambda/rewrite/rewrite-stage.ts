import { Transform, type TransformCallback } from 'node:stream';
import { BodySelector } from './body-selection';
import { CalendarLookahead } from './calendar-lookahead';
import { carriesMarker, editTopHeaders, topHeadersOf } from './header-edits';
import { markToken } from './html-marks';
import { type MimePart, partReport } from './mime-part';
import { type MimeEvent, MimeSplitter } from './mime-splitter';
import { OrderedOutput } from './ordered-output';
import { declareRewrite, rewritePart } from './part-rewrite';
import { RewriteDeclinedError } from './rewrite-declined';
import type { ContentPlan, MessageHead, RewriteOptions, RewriteReport } from './rewrite-rules';
import { countBareLineFeeds } from './stream-guards';
import { checkAllClosed, checkBoundary, checkTopHeader } from './structure-checks';
import type { BodyKind, Marks } from './text-insertion';
import { checkBinaryHoldable, unchangedPart } from './unchanged-part';

/** Text parts larger than this pass unchanged, so memory stays bounded. */
export const DEFAULT_MAX_REWRITE_PART_BYTES = 16 * 1024 * 1024;
/** At most this much of what follows a fragment is held back while its footer is decided. */
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;

const EOL = '\r\n';

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
  private readonly output = new OrderedOutput(
    (bytes) => this.push(bytes),
    () => this.report.lineEndingsFixed > 0,
  );
  private token: string | undefined;
  private lookahead: CalendarLookahead | undefined;
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
    else this.output.write({ bytes: event.raw, delimiter: event.type === 'delimiter' });
    if (this.held && this.output.queuedBytes > this.maxHeldBytes) {
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
    checkBinaryHoldable(collecting.part, collecting.size, this.maxPartBytes);
    this.leaveAsIs(collecting.part, this.bodyOf(collecting), 'part too large to rewrite');
  }

  private handleHead(part: MimePart) {
    if (!part.parent) this.handleRoot(part);
    if (part.boundary) {
      checkBoundary(part);
      this.multiparts.push(part);
    }
    if (this.report.alreadyRewritten) {
      this.output.write({ bytes: part.header.toBuffer() });
      return;
    }
    const role = this.selector.classify(part);
    const heldGroup = this.held?.fragment?.group;
    const verdict = heldGroup && this.selector.afterFragment(part, role, heldGroup);
    if (verdict && verdict !== 'unknown') this.resolveHeld(verdict === 'last');
    if (role.role === 'fragment') {
      const banner = this.selector.takeBanner(role.group);
      const fragment = { kind: role.kind, group: role.group, banner };
      this.collecting = { part, chunks: [], size: 0, fragment };
      return;
    }
    if (role.role === 'protected') {
      this.report.parts.push({
        ...partReport(part, 0, 0),
        contentType: part.contentType,
        change: 'skipped',
        reason: role.reason,
      });
    }
    if (part.encoding === 'binary' && !part.boundary) {
      this.collecting = { part, chunks: [], size: 0 };
      return;
    }
    this.output.write({ bytes: part.header.toBuffer() });
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
      this.output.hold();
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
    const lastOfGroup = footer && this.selector.takeFooter(held.fragment.group);
    this.output.endHold(() => this.release(held, lastOfGroup, note));
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
        ...partReport(part, raw.length, raw.length),
        change: 'already-present',
      });
      return;
    }
    this.report.parts.push(declareRewrite(part, raw, result, note));
    this.output.write({ bytes: part.header.toBuffer() });
    this.output.write({ bytes: result.body });
    if (raw.length === 0) this.output.breakBeforeNextDelimiter();
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

  private leaveAsIs(part: MimePart, raw: Buffer, reason: string) {
    this.writePart(part, raw);
    this.report.parts.push({
      ...partReport(part, raw.length, raw.length),
      change: 'skipped',
      reason,
    });
  }

  /** Writes a part whose content does not change (a binary one may go as base64). */
  private writePart(part: MimePart, raw: Buffer) {
    const { pieces, report } = unchangedPart(part, raw, EOL);
    if (report) this.report.parts.push(report);
    for (const piece of pieces) this.output.write(piece);
  }

  private bodyOf(collected: Collected): Buffer {
    return Buffer.concat(collected.chunks, collected.size);
  }
}
