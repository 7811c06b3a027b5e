import type { HeaderBlock } from './header-block';
import type { PartReport } from './rewrite-rules';

import libmime = require('libmime');

/** How a part's header block ended. */
export type HeadEnd =
  /** The blank line of RFC 5322 section 2.1. */
  | 'blank-line'
  /** A line that is no header field: the body starts there (readers agree, RFC 2045 aside). */
  | 'body-line'
  /** A delimiter of an enclosing multipart: the part has headers and no body. */
  | 'delimiter'
  /** The end of the input. */
  | 'end';

/** One MIME part as the splitter read it: where it sits, its headers, what they declare. */
export interface MimePart {
  readonly parent: MimePart | undefined;
  /** IMAP-style position: `[]` for the message, `[2, 1]` for the first part of the second. */
  readonly path: readonly number[];
  readonly header: HeaderBlock;
  readonly headEnd: HeadEnd;
  /** Lower-case `type/subtype`, with RFC 2045/2046 defaults applied. */
  readonly contentType: string;
  /** The subtype of a multipart that has a usable boundary; undefined otherwise. */
  readonly multipart: string | undefined;
  readonly boundary: Buffer | undefined;
  /** Lower-case Content-Transfer-Encoding as written (a quoted `"base64"` stays quoted); '' if none. */
  readonly encoding: string;
  readonly charset: string | undefined;
  /** text/plain; format=flowed (RFC 3676). */
  readonly flowed: boolean;
  readonly disposition: string | undefined;
  readonly filename: string | undefined;
  /** Children read so far (multiparts). */
  children: number;
  /** A multipart's closing delimiter has been read. */
  closed: boolean;
}

/** `1.2`, or `TEXT` for the message itself (IMAP's name for a single part's body). */
export function partName(part: Pick<MimePart, 'path'>): string {
  return part.path.length ? part.path.join('.') : 'TEXT';
}

/** The fields every part report starts with. */
export function partReport(
  part: MimePart,
  bytesBefore: number,
  bytesAfter: number,
): Pick<PartReport, 'part' | 'contentType' | 'bytesBefore' | 'bytesAfter'> {
  return { part: partName(part), contentType: part.contentType, bytesBefore, bytesAfter };
}

/** A token header without its comments: `base64 (for the PDF)`. */
function withoutComments(value: string): string {
  return value.replace(/\([^()]*\)/g, '');
}

function decoded(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/**
 * The boundary a multipart's `boundary` parameter declares, as the splitter uses it: trailing
 * white space dropped; one that is empty or not ASCII (RFC 2046 bchars) counts as none.
 */
export function usableBoundary(parameter: string | undefined): string | undefined {
  const text = (parameter ?? '').trimEnd();
  return text !== '' && /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}

/** Reads what a part's headers declare (RFC 2045 section 5, RFC 2046 section 5.1, RFC 2183). */
export function describePart(
  header: HeaderBlock,
  headEnd: HeadEnd,
  parent: MimePart | undefined,
): MimePart {
  // Header values are read as bytes; a parameter holding UTF-8 stays a binary string.
  const typeValue = header.first('content-type');
  const dispositionValue = header.first('content-disposition');
  // Comments go (RFC 2045 section 5.1), quoted strings keep theirs: `boundary="a(b)"`.
  const type = libmime.parseHeaderValue(typeValue ?? '', { stripComments: true });
  const disposition = libmime.parseHeaderValue(dispositionValue ?? '', { stripComments: true });
  const declared = typeValue === undefined ? '' : (type.value || '').trim().toLowerCase();
  // RFC 2046 section 5.1.5: in a digest, a part without Content-Type is a message.
  const fallback = parent?.contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  const contentType = declared.includes('/') ? declared : fallback;
  const boundaryText = usableBoundary(type.params.boundary);
  const multipart = contentType.startsWith('multipart/') && boundaryText !== undefined;
  const format = (type.params.format ?? '').trim().toLowerCase();
  const dispositionType = (disposition.value || '').trim().toLowerCase();
  const index = parent ? parent.children : 0;
  return {
    parent,
    path: parent ? [...parent.path, index] : [],
    header,
    headEnd,
    contentType,
    multipart: multipart ? contentType.slice('multipart/'.length) : undefined,
    boundary: multipart ? Buffer.from(boundaryText, 'latin1') : undefined,
    encoding: withoutComments(header.first('content-transfer-encoding') ?? '')
      .trim()
      .toLowerCase(),
    charset: type.params.charset?.trim() || undefined,
    flowed: contentType === 'text/plain' && format === 'flowed',
    disposition: dispositionType || undefined,
    filename: decoded(disposition.params.filename ?? type.params.name),
    children: 0,
    closed: false,
  };
}
