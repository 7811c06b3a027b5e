import { isFieldLine } from './mime-splitter';
import { MAX_LINE_OCTETS } from './stream-guards';

// Header blocks as the repair reads them (CRLF input), ending where the engine's splitter ends them.

export interface Field {
  name: string;
  value: string;
}

/** Header fields of a block, unfolded; undefined when a line breaks WorkMail's line rules. */
export function fieldsOf(head: Buffer): Field[] | undefined {
  const text = head.toString('latin1');
  const lines = text.split('\r\n');
  if (lines.some((line) => line.length > MAX_LINE_OCTETS || line.includes('\r'))) return undefined;
  const fields: Field[] = [];
  for (const line of lines) {
    if (!line) continue;
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) last.value += line;
    else {
      const colon = line.indexOf(':');
      if (colon > 0)
        fields.push({
          name: line.slice(0, colon).trim().toLowerCase(),
          value: line.slice(colon + 1),
        });
    }
  }
  return fields;
}

export function fieldValue(fields: Field[], name: string): string {
  return fields.find((f) => f.name === name)?.value.trim() ?? '';
}

/**
 * Where a multipart's part ends its header block, as the engine's splitter reads it: at the blank
 * line, or at the first line that is no header field (the body starts there, with no blank line).
 */
export function partHead(
  data: Buffer,
  start: number,
  end: number,
): { headEnd: number; bodyStart: number } {
  for (let pos = start; pos < end; ) {
    const lf = data.indexOf(0x0a, pos);
    const lineEnd = lf < 0 || lf >= end ? end : lf + 1;
    if (lineEnd - pos === 2 && data[pos] === 0x0d) return { headEnd: pos, bodyStart: lineEnd };
    const fold = pos > start && (data[pos] === 0x20 || data[pos] === 0x09);
    if (!fold && !isFieldLine(data, pos, lineEnd)) return { headEnd: pos, bodyStart: pos };
    pos = lineEnd;
  }
  return { headEnd: end, bodyStart: end };
}

/** Where a message's header block ends: at its blank line (none: the whole entity is head). */
export function messageHead(data: Buffer, start: number, end: number) {
  // A part may have no header at all: its blank line comes first.
  if (data[start] === 0x0d && data[start + 1] === 0x0a)
    return { headEnd: start, bodyStart: start + 2 };
  const blank = data.indexOf('\r\n\r\n', start);
  const headEnd = blank >= 0 && blank + 2 <= end ? blank + 2 : end;
  return { headEnd, bodyStart: Math.min(headEnd + 2, end) };
}
