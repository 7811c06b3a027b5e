import { repairLineEnds } from './stream-guards';

const EOL = Buffer.from('\r\n');

/** Output bytes in order. `verbatim`: a binary part's, never touched by line-end repair. */
export interface Piece {
  bytes: Buffer;
  verbatim?: boolean;
  delimiter?: boolean;
}

/**
 * The rewrite's output, in input order: while a fragment is held (its footer not yet decided),
 * what follows it is queued, then goes out after it. On the way out bare LFs become CRLF (except
 * in verbatim pieces) and a delimiter after an empty rewritten body gets its line break.
 */
export class OrderedOutput {
  private queue: Piece[] = [];
  private queued = 0;
  private holding = false;
  private breakBeforeDelimiter = false;
  private lastByte = -1;

  constructor(
    private readonly emit: (bytes: Buffer) => void,
    /** Whether line ends need repair at all: input without a bare LF gives output without one. */
    private readonly repairing: () => boolean,
  ) {}

  /** Bytes queued since `hold`. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Queues what is written from now on, until `endHold`. */
  hold() {
    this.holding = true;
  }

  /** Stops holding: what `first` writes goes out, then what was queued meanwhile. */
  endHold(first: () => void) {
    this.holding = false;
    first();
    const queue = this.queue;
    this.queue = [];
    this.queued = 0;
    for (const piece of queue) this.pushOut(piece);
  }

  write(piece: Piece) {
    if (!this.holding) {
      this.pushOut(piece);
      return;
    }
    this.queue.push(piece);
    this.queued += piece.bytes.length;
  }

  /**
   * After an empty body the next delimiter may come with no line break in front (the blank line
   * that ended the headers served): new content written there must not run into it.
   */
  breakBeforeNextDelimiter() {
    this.breakBeforeDelimiter = true;
  }

  private pushOut(piece: Piece) {
    let bytes = piece.bytes;
    if (this.breakBeforeDelimiter && piece.delimiter && bytes[0] !== 0x0d && bytes[0] !== 0x0a) {
      bytes = Buffer.concat([EOL, bytes]);
    }
    this.breakBeforeDelimiter = false;
    if (bytes.length === 0) return;
    if (!piece.verbatim && this.repairing()) bytes = repairLineEnds(bytes, this.lastByte).bytes;
    this.lastByte = bytes[bytes.length - 1] as number;
    this.emit(bytes);
  }
}
