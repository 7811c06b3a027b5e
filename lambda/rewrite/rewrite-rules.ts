import type { OwnBanner } from './clean-reply';

/** Text for each kind of displayed body; empty or missing means nothing for that kind. */
export interface BodyText {
  /** Plain text, for text/plain parts. Line breaks follow the part's. */
  text?: string;
  /**
   * HTML, for text/html parts; wrapped in `<div data-mail-rewrite-<token>="banner|footer">`, the
   * token derived from the marker value (see `html-marks.ts`).
   */
  html?: string;
}

/** What to change in one message. */
export interface ContentPlan {
  /** Prefixed to the Subject, e.g. `[EXTERNAL]`; never added twice. */
  subjectTag?: string;
  /** Put at the top of the displayed body (a warning banner); never added twice. */
  banner?: BodyText;
  /** Put at the end of the displayed body (a disclaimer); never added twice. */
  footer?: BodyText;
  /** Headers to set on the message, replacing any of the same name. */
  headers?: readonly (readonly [name: string, value: string])[];
  /** Headers to remove wherever they are in the top-level block (a stranger's copies of ours). */
  removeHeaders?: readonly string[];
  /**
   * The message comes from outside the organization: whatever of this engine's marks it carries
   * was written by a stranger. HTML marks are neutralised in every displayed HTML part, and a
   * banner or footer already in place does not count: ours is added afresh.
   */
  untrusted?: boolean;
  /**
   * Leave the body as it is when a `multipart/alternative` carries a calendar answer
   * (`text/calendar; method=REPLY`): clients render it from the calendar data, and a banner on it
   * helps nobody. Looking for it holds that alternative back, up to 1 MB, so set it only when
   * there is a banner or footer to leave out.
   */
  leaveCalendarReplies?: boolean;
  /**
   * Clean replies: take these subject tags and inbound banners (as the policy writes them,
   * placeholders included) out of the subject and the quoted thread, found by their mark or their
   * exact text (see `clean-reply.ts`).
   */
  cleanReplies?: { subjectTags: readonly string[]; banners: readonly OwnBanner[] };
}

/** The message's top-level headers, as a plan reads them. */
export interface TopHeaders {
  /** Unfolded values of every header of this name, in order (8-bit text read as UTF-8). */
  get(name: string): string[];
  /** The decoded Subject, or an empty string. */
  subject(): string;
}

/** The message's head, as the engine read it: what a plan is decided on. */
export interface MessageHead {
  /** The message already carries this run's marker: it is this engine's own output. */
  alreadyRewritten: boolean;
  headers: TopHeaders;
}

/** How the engine runs, whatever the plan: the marker and the limits. */
export interface RewriteOptions {
  /**
   * Header that marks the message as rewritten, e.g. `X-Mail-Rewrite-Id: <invocation id>`.
   * A message that already carries it with this exact value is this engine's own output and is
   * left alone; any other value proves nothing and is replaced.
   */
  marker: { header: string; value: string };
  /** Largest encoded text part (bytes) the engine will buffer to rewrite; larger ones pass. */
  maxRewritePartBytes?: number;
  /** Most bytes held back after a fragment while deciding whether it gets the footer. */
  maxHeldBytes?: number;
  /** Largest output the engine produces (WorkMail takes 40 MB); larger is declined. */
  maxOutputBytes?: number;
}

/** A rewrite whose plan is known before the message is read (tools, tests, the benchmark). */
export type PlannedRewrite = RewriteOptions & ContentPlan;

/** What happened to one MIME part that the engine selected as displayed body. */
export interface PartReport {
  /** IMAP-style part number, e.g. `1.2`, or `TEXT` for a single-part message. */
  part: string;
  contentType: string;
  /**
   * `reencoded`: a binary part whose bytes WorkMail would refuse (bare line ends) went as base64;
   * its decoded bytes are the same.
   */
  change: 'rewritten' | 'already-present' | 'skipped' | 'reencoded';
  /** What was added to a rewritten part. */
  added?: ('banner' | 'footer')[];
  /** Foreign copies of this engine's HTML mark renamed in the part (untrusted mail). */
  neutralised?: number;
  /** Own inbound banners taken out of the quoted thread (clean replies). */
  removed?: number;
  /** Why a part was skipped, or a note on a rewritten one (no message text, only structure). */
  reason?: string;
  bytesBefore: number;
  bytesAfter: number;
  transferEncoding?: { from: string; to: string };
  charset?: { from: string; to: string };
}

/** A summary of one run, safe to log: it carries no message content. */
export interface RewriteReport {
  /** The message already carried this run's marker: nothing was changed. */
  alreadyRewritten: boolean;
  subject: 'tagged' | 'already-tagged' | 'added' | 'cleaned' | 'not-configured';
  /** A marker header with another value was found and replaced. */
  foreignMarkerRemoved: boolean;
  /** Set when banner and footer were left out on purpose: the message answers an invitation. */
  bodyLeftAsIs?: 'calendar-reply';
  /** Planned headers that were missing or had another value, and were set. */
  headersSet: string[];
  /** Headers (of `removeHeaders`) that were present and removed. */
  headersRemoved: string[];
  parts: PartReport[];
  bytesIn: number;
  bytesOut: number;
  /** Bare LF line ends in the input: made CRLF (a binary part holding them goes as base64). */
  lineEndingsFixed: number;
}
