/** What the engine changes in a message. Every field is optional except the marker. */
export interface RewriteRules {
  /** Prefixed to the Subject, e.g. `[EXTERNAL]`; never added twice. */
  subjectTag?: string;
  /** Appended to the displayed plain-text body. */
  textDisclaimer?: string;
  /** Inserted before `</body>` of the displayed HTML body. */
  htmlDisclaimer?: string;
  /**
   * Header that marks the message as rewritten, e.g. `X-Mail-Rewrite-Id: <invocation id>`.
   * A message that already carries it with this exact value is this engine's own output and is
   * left alone; any other value proves nothing and is replaced.
   */
  marker: { header: string; value: string };
  /** Largest encoded text part (bytes) the engine will buffer to rewrite; larger ones pass. */
  maxRewritePartBytes?: number;
}

/** What happened to one MIME part that the engine selected as displayed body. */
export interface PartReport {
  /** IMAP-style part number, e.g. `1.2`, or `TEXT` for a single-part message. */
  part: string;
  contentType: string;
  change: 'disclaimer-added' | 'skipped';
  /** Why a part was skipped (no message text, only structure). */
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
  subject: 'tagged' | 'already-tagged' | 'added' | 'not-configured';
  /** A marker header with another value was found and replaced. */
  foreignMarkerRemoved: boolean;
  parts: PartReport[];
  bytesIn: number;
  bytesOut: number;
}
