import libmime = require('libmime');
import libqp = require('libqp');

import { arrivalDate, rfc5322Date } from './arrival-date';
import { usableBoundary } from './mime-part';
import { type Field, fieldsOf, fieldValue, messageHead, partHead } from './repair-heads';
import { MAX_LINE_OCTETS } from './stream-guards';

/** One change the repair made, named for the log and the report (no message content). */
export interface Repair {
  kind: 'closed-multipart' | 're-encoded-part' | 'added-date';
  /** IMAP-style part number (`1.2`), or `TEXT` for the message itself. */
  part: string;
  detail: string;
}

export interface RepairResult {
  message: Buffer;
  repairs: Repair[];
}

/** Why a message cannot be repaired; the caller's fallback answers. */
export interface RepairRefusal {
  refused: string;
}

export interface RepairOptions {
  /** The clock, for a missing `Date:` when no `Received:` header dates the arrival. */
  now: () => Date;
}

const CRLF = Buffer.from('\r\n');
// Deeper than any real mail; the engine's splitter declines beyond its own limits (MAX_PARTS).
const MAX_DEPTH = 64;
const RE_ENCODABLE = new Set(['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable']);
// Changing one byte under these breaks a signature (RFC 1847, RFC 8551).
const SEALED_TYPES = new Set([
  'multipart/signed',
  'multipart/encrypted',
  'application/pkcs7-mime',
  'application/x-pkcs7-mime',
]);

/** Thrown inside the repair when the message is beyond it; never leaves this module. */
class Unrepairable {
  constructor(readonly reason: string) {}
}

/** What breaks WorkMail's content rules in a part's raw body, or undefined. */
function bodyProblem(body: Buffer, encoding: string): string | undefined {
  if (encoding === 'binary') return 'binary transfer encoding';
  let lineStart = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === 0x0d && body[i + 1] !== 0x0a) return 'a bare CR';
    if (byte === 0x0a) {
      if (i - lineStart - 1 > MAX_LINE_OCTETS) return `a line over ${MAX_LINE_OCTETS} octets`;
      lineStart = i + 1;
    }
  }
  if (body.length - lineStart > MAX_LINE_OCTETS) return `a line over ${MAX_LINE_OCTETS} octets`;
  if ((encoding === '' || encoding === '7bit') && body.some((b) => b >= 0x80))
    return '8-bit bytes in a part declared 7bit';
  return undefined;
}

function decoded(body: Buffer, encoding: string): Buffer {
  // Node also reads base64url's `-` and `_`: mail decoders skip them, as everything outside the
  // alphabet.
  if (encoding === 'base64')
    return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding === 'quoted-printable') return libqp.decode(body.toString('latin1'));
  return body;
}

function base64Lines(data: Buffer): Buffer {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < text.length; at += 76) lines.push(text.slice(at, at + 76));
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** The header block with its transfer encoding set to base64 (other lines as they were). */
function withBase64Encoding(head: Buffer): Buffer {
  const lines = head.toString('latin1').split('\r\n');
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && skipping) continue;
    skipping = /^content-transfer-encoding\s*:/i.test(line);
    if (!skipping) kept.push(line);
  }
  // `head` ends with the CRLF of its last field: the last element is empty.
  kept.splice(kept.length - 1, 0, 'Content-Transfer-Encoding: base64');
  return Buffer.from(kept.join('\r\n'), 'latin1');
}

/** Whether `data` holds the delimiter line `--boundary` (or its close) at `at`, a line start. */
function delimiterAt(data: Buffer, at: number, boundary: Buffer): 'part' | 'close' | undefined {
  if (data[at] !== 0x2d || data[at + 1] !== 0x2d) return undefined;
  if (!data.subarray(at + 2, at + 2 + boundary.length).equals(boundary)) return undefined;
  let i = at + 2 + boundary.length;
  const close = data[i] === 0x2d && data[i + 1] === 0x2d;
  if (close) i += 2;
  while (data[i] === 0x20 || data[i] === 0x09) i++;
  if (i < data.length && data[i] !== 0x0d) return undefined;
  return close ? 'close' : 'part';
}

class Repairer {
  readonly repairs: Repair[] = [];
  private readonly out: Buffer[] = [];
  private readonly boundaries: Buffer[] = [];

  constructor(
    private readonly data: Buffer,
    private readonly options: RepairOptions,
  ) {}

  result(): Buffer {
    return Buffer.concat(this.out);
  }

  /**
   * Repairs the entity in [start, end); throws Unrepairable when it cannot. `sealed`: it lies
   * under a signature or an encryption, where no byte may change. `inMultipart`: a part of a
   * multipart, whose header block may also end at a line that is no header field.
   */
  entity(
    start: number,
    end: number,
    path: string,
    depth: number,
    sealed = false,
    inMultipart = false,
  ): void {
    if (depth > MAX_DEPTH) throw new Unrepairable('nested too deeply');
    const { data } = this;
    const { headEnd, bodyStart } = (inMultipart ? partHead : messageHead)(data, start, end);
    const head = data.subarray(start, headEnd);
    const fields = fieldsOf(head);
    if (!fields) throw new Unrepairable(`the header block of part ${path} breaks the line rules`);
    const root = depth === 0;
    const type = libmime.parseHeaderValue(fieldValue(fields, 'content-type'));
    const mediaType = (type.value || '').toLowerCase();
    // Read as the engine's splitter reads it: a boundary it cannot use makes the part a leaf.
    const boundary = usableBoundary(type.params.boundary);
    const seals = sealed || SEALED_TYPES.has(mediaType);
    if (mediaType.startsWith('multipart/') && boundary) {
      this.out.push(this.withDate(head, fields, root), data.subarray(headEnd, bodyStart));
      this.multipart(Buffer.from(boundary, 'latin1'), bodyStart, end, path, depth, seals);
      return;
    }
    if (mediaType === 'message/rfc822' && headEnd < end) {
      this.out.push(this.withDate(head, fields, root), data.subarray(headEnd, bodyStart));
      this.entity(bodyStart, end, path, depth + 1, seals);
      return;
    }
    const encoding = fieldValue(fields, 'content-transfer-encoding').toLowerCase();
    const body = data.subarray(bodyStart, end);
    const problem = bodyProblem(body, encoding);
    if (!problem || headEnd >= end) {
      this.out.push(this.withDate(head, fields, root), data.subarray(headEnd, end));
      return;
    }
    // A new Content-Transfer-Encoding would land where some readers see the body.
    if (bodyStart === headEnd)
      throw new Unrepairable(
        `part ${path} has no blank line after its headers: readers disagree on where its body starts`,
      );
    if (seals) throw new Unrepairable(`part ${path} is signed or encrypted: no byte may change`);
    if (!RE_ENCODABLE.has(encoding))
      throw new Unrepairable(`part ${path} has an unknown transfer encoding`);
    const text = body.toString('latin1');
    if (encoding === 'base64' && !body.some((byte) => byte >= 0x80)) {
      // Only the line breaks move: every decoder reads the same characters as before.
      const lines = text.replace(/[\t\n\r ]/g, '').match(/.{1,76}/g) ?? [];
      this.out.push(this.withDate(head, fields, root), CRLF, Buffer.from(lines.join('\r\n')));
      this.repairs.push({
        kind: 're-encoded-part',
        part: path,
        detail: `${problem}: base64 lines re-wrapped`,
      });
      return;
    }
    this.out.push(
      this.withDate(withBase64Encoding(head), fields, root),
      CRLF,
      base64Lines(decoded(body, encoding)),
    );
    this.repairs.push({ kind: 're-encoded-part', part: path, detail: `${problem}: now base64` });
  }

  private multipart(
    boundary: Buffer,
    start: number,
    end: number,
    path: string,
    depth: number,
    sealed: boolean,
  ) {
    for (const outer of this.boundaries) {
      if (outer.indexOf(boundary) === 0 || boundary.indexOf(outer) === 0)
        throw new Unrepairable('a nested multipart reuses the boundary of an enclosing one');
    }
    this.boundaries.push(boundary);
    const { data } = this;
    let cursor = start;
    let partStart: number | undefined;
    let index = 0;
    let closed = false;
    for (let line = start; line < end && !closed; ) {
      const kind = delimiterAt(data, line, boundary);
      const next = data.indexOf(0x0a, line);
      const lineEnd = next < 0 || next >= end ? end : next + 1;
      if (kind) {
        // The CRLF before a delimiter belongs to the delimiter.
        const contentEnd = line >= start + 2 && data[line - 2] === 0x0d ? line - 2 : line;
        if (partStart !== undefined) {
          const partEnd = Math.max(partStart, contentEnd);
          this.entity(partStart, partEnd, childPath(path, index), depth + 1, sealed, true);
          cursor = Math.max(partStart, contentEnd);
        }
        this.passThrough(data.subarray(cursor, lineEnd), path);
        cursor = lineEnd;
        partStart = kind === 'part' ? lineEnd : undefined;
        if (kind === 'part') index++;
        closed = kind === 'close';
      }
      line = lineEnd;
    }
    if (!closed) {
      if (partStart !== undefined) {
        this.entity(partStart, end, childPath(path, index), depth + 1, sealed, true);
        cursor = end;
      }
      this.passThrough(data.subarray(cursor, end), path);
      // A line break of its own: the one before a delimiter belongs to it, not to the content.
      this.out.push(Buffer.from(`\r\n--${boundary.toString('latin1')}--\r\n`, 'latin1'));
      this.repairs.push({
        kind: 'closed-multipart',
        part: path,
        detail: 'closing delimiter added',
      });
    } else this.passThrough(data.subarray(cursor, end), path);
    this.boundaries.pop();
  }

  /** A preamble, a delimiter line or an epilogue: kept as it is, if it meets the line rules. */
  private passThrough(lines: Buffer, path: string) {
    const problem = bodyProblem(lines, '8bit');
    if (problem) throw new Unrepairable(`${problem} between the parts of ${path}`);
    this.out.push(lines);
  }

  private withDate(head: Buffer, fields: Field[], root: boolean): Buffer {
    if (!root || fields.some((f) => f.name === 'date')) return head;
    const received = fields.filter((f) => f.name === 'received').map((f) => f.value);
    const fromReceived = arrivalDate(received);
    const date = rfc5322Date(fromReceived ?? this.options.now());
    this.repairs.push({
      kind: 'added-date',
      part: 'TEXT',
      detail: fromReceived ? 'Date from the topmost Received header' : 'Date from the clock',
    });
    return Buffer.concat([head, Buffer.from(`Date: ${date}\r\n`, 'latin1')]);
  }
}

function childPath(path: string, index: number): string {
  return path === 'TEXT' ? String(index) : `${path}.${index}`;
}

/**
 * Repairs what makes WorkMail refuse a message, without changing what a reader sees: closes
 * multiparts that never close; re-encodes as base64 a part whose raw bytes break the content rules
 * (a bare CR, a line over 998 octets, 8-bit bytes under 7bit, `binary`), so that its decoded bytes
 * stay identical; adds a missing `Date:` (the arrival time of the topmost `Received:`, else the
 * clock). Input must have CRLF line ends (bare LF is the engine's to normalise). Everything else
 * stays byte for byte. Returns the refusal when the message is beyond repair (a header line that
 * breaks the rules, a boundary that nests in another's, an unknown transfer encoding).
 */
export function repairMessage(
  message: Buffer,
  options: RepairOptions,
): RepairResult | RepairRefusal {
  const repairer = new Repairer(message, options);
  try {
    repairer.entity(0, message.length, 'TEXT', 0);
  } catch (error) {
    if (error instanceof Unrepairable) return { refused: error.reason };
    throw error;
  }
  return { message: repairer.result(), repairs: repairer.repairs };
}
