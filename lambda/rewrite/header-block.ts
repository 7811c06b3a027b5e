import libmime = require('libmime');

/** One header field as written: `line` holds its folds (CRLF or LF) but not its last line end. */
export interface HeaderField {
  /** Lower-case field name; empty for a line that is not a field (garbage kept as it was). */
  readonly key: string;
  line: string;
  /** The field's bytes as they came, line end included; dropped once the field is edited. */
  raw: Buffer | undefined;
}

const LF = 0x0a;
const CR = 0x0d;

function isFold(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09;
}

/** `line` without its line end. */
function withoutLineEnd(line: Buffer): Buffer {
  let end = line.length;
  if (line[end - 1] === LF) end--;
  if (line[end - 1] === CR) end--;
  return line.subarray(0, end);
}

function keyOf(line: string): string {
  const colon = line.indexOf(':');
  return colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
}

/** Every value of a field as one line: folds taken out, whitespace around trimmed. */
export function unfolded(line: string): string {
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .trim();
}

/**
 * A header block (RFC 5322 section 2.2): its fields, and the blank line that ended it (or none:
 * a part's headers may run into the next delimiter or into the body). Untouched, it gives back
 * its bytes as they came; edited, untouched fields still keep theirs, and new or changed fields
 * are written with CRLF.
 */
export class HeaderBlock {
  changed = false;

  private constructor(
    private readonly raw: Buffer,
    readonly fields: HeaderField[],
    /** The blank line that ended the block, or an empty buffer. */
    readonly terminator: Buffer,
  ) {}

  /** Reads `raw`; its last `terminatorLength` bytes are the blank line that ended it. */
  static parse(raw: Buffer, terminatorLength: number): HeaderBlock {
    const fields: HeaderField[] = [];
    const end = raw.length - terminatorLength;
    let start = 0;
    while (start < end) {
      // A field runs until a line that does not start with a fold (RFC 5322 section 2.2.3).
      let stop = start;
      do {
        const lf = raw.indexOf(LF, stop);
        stop = lf < 0 || lf >= end ? end : lf + 1;
      } while (stop < end && isFold(raw[stop]));
      const bytes = raw.subarray(start, stop);
      const line = withoutLineEnd(bytes).toString('latin1');
      fields.push({ key: keyOf(line), line, raw: bytes });
      start = stop;
    }
    return new HeaderBlock(raw, fields, raw.subarray(end));
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.fields.some((field) => field.key === key);
  }

  /** Unfolded raw values (a binary string: one character per byte) of every field `name`. */
  values(name: string): string[] {
    const key = name.toLowerCase();
    return this.fields.filter((field) => field.key === key).map((field) => unfolded(field.line));
  }

  first(name: string): string | undefined {
    return this.values(name)[0];
  }

  /** Replaces a field's line (the same folds rules apply: CRLF before each fold). */
  edit(field: HeaderField, line: string) {
    field.line = line;
    field.raw = undefined;
    this.changed = true;
  }

  /** Sets `name` in place of the first field of that name (others go), or appends it. */
  set(name: string, value: string) {
    const key = name.toLowerCase();
    const line = libmime.foldLines(`${name}: ${value.replace(/[\r\n]/g, '')}`, 76, false);
    const field: HeaderField = { key, line, raw: undefined };
    const at = this.fields.findIndex((f) => f.key === key);
    this.remove(name);
    this.fields.splice(at < 0 ? this.fields.length : at, 0, field);
    this.changed = true;
  }

  /** Appends a field given as a whole line (folds included). */
  append(name: string, line: string) {
    this.fields.push({ key: name.toLowerCase(), line, raw: undefined });
    this.changed = true;
  }

  remove(name: string) {
    const key = name.toLowerCase();
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (this.fields[i]?.key !== key) continue;
      this.fields.splice(i, 1);
      this.changed = true;
    }
  }

  /** The block's bytes: as they came when untouched. */
  toBuffer(): Buffer {
    if (!this.changed) return this.raw;
    const pieces: Buffer[] = [];
    for (const field of this.fields) {
      const raw = field.raw;
      if (raw && raw[raw.length - 1] === LF) pieces.push(raw);
      else {
        const line = field.line.replace(/\r?\n(?=[ \t])/g, '\r\n');
        pieces.push(Buffer.from(`${line}\r\n`, 'latin1'));
      }
    }
    pieces.push(this.terminator);
    return Buffer.concat(pieces);
  }
}
