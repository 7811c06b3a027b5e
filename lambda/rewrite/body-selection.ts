import type { BodyKind } from './text-insertion';

import libmime = require('libmime');

/** What the selector reads of a part; the splitter's MimePart has it. */
export interface SelectablePart {
  readonly parent: SelectablePart | undefined;
  /** Position in the tree; the last number is the part's index in its parent (from 1). */
  readonly path: readonly number[];
  readonly header: { first(name: string): string | undefined };
  /** Lower-case `type/subtype`, with RFC 2045/2046 defaults applied. */
  readonly contentType: string;
  readonly multipart: string | undefined;
  readonly disposition: string | undefined;
  readonly filename: string | undefined;
}

type Node = SelectablePart;

/** How the engine sees one MIME node. */
export type NodeRole =
  /** A displayed text/plain or text/html part: a fragment of its display group's body. */
  | { role: 'fragment'; kind: BodyKind; group: object }
  /** Displayed, but signed or encrypted: changing a byte would break it. */
  | { role: 'protected'; reason: string }
  /**
   * Anything else. `startsGroup`: an alternative of a multipart/alternative. `attachment`: declared
   * `Content-Disposition: attachment` (an inline image with a file name is not one: clients show it
   * between fragments of one body).
   */
  | { role: 'other'; startsGroup: boolean; attachment: boolean };

// Changing one byte under these breaks a signature or is impossible (RFC 1847, RFC 8551).
const PROTECTED_MULTIPARTS = new Set(['signed', 'encrypted']);
const PROTECTED_TYPES = new Set([
  'application/pkcs7-mime',
  'application/x-pkcs7-mime',
  'application/pgp-encrypted',
]);

export function isAttachment(node: Pick<Node, 'disposition' | 'filename'>): boolean {
  return node.disposition === 'attachment' || Boolean(node.filename);
}

function indexInParent(node: Node): number {
  return node.path.at(-1) ?? 1;
}

/** A Content-ID or a `start` parameter as compared: without angle brackets and white space. */
function bareId(value: string | undefined): string {
  return (value ?? '').replace(/[<>\s]/g, '');
}

/**
 * RFC 2387: the root of a multipart/related is the part its `start` parameter names by
 * Content-ID, else the first. A `start` that names no part leaves the body without a root: the
 * banner is then not placed, and the policy's fallback answers.
 */
function isRelatedRoot(node: Node, parent: Node): boolean {
  const start = bareId(
    libmime.parseHeaderValue(parent.header.first('content-type') ?? '').params.start,
  );
  if (!start) return indexInParent(node) === 1;
  return bareId(node.header.first('content-id')) === start;
}

/**
 * Finds the displayed body of a message as mail clients do, one node at a time, in the order the
 * splitter emits them (parents before children):
 * - the root is displayed; every alternative of a `multipart/alternative` is displayed and starts
 *   its own display group; in a `multipart/related` only the root (RFC 2387 `start`, else the
 *   first part) is displayed; in any other multipart, every part that is not an attachment. The
 *   root, an alternative and a related root are never attachments, whatever name they carry;
 * - the displayed text/plain and text/html leaves of a group are its fragments: the first gets the
 *   banner, the last the footer (clients split a body around inline images into several);
 * - nothing under `multipart/signed` or `multipart/encrypted` is changed. Attached messages never
 *   reach here: the splitter keeps them opaque leaves.
 *
 * Part types come with RFC 2045 section 5.2's defaults applied (a missing, empty or subtype-less
 * `Content-Type` is text/plain); a value with a subtype stays as declared, however odd: treating
 * a mangled `application/pdf` as text would put a banner into a file.
 */
export class BodySelector {
  private readonly displayed = new WeakSet<object>();
  private readonly groups = new WeakMap<object, object>();
  private readonly bannerGiven = new WeakSet<object>();
  private readonly footerGiven = new WeakSet<object>();

  /** True for the first fragment of a group asking: one banner per group. */
  takeBanner(group: object): boolean {
    const first = !this.bannerGiven.has(group);
    this.bannerGiven.add(group);
    return first;
  }

  /** True the first time only: one footer per group, even when one was placed early. */
  takeFooter(group: object): boolean {
    const first = !this.footerGiven.has(group);
    this.footerGiven.add(group);
    return first;
  }

  /**
   * What a part arriving after a held fragment of `group` says of it: `last` (the group has
   * ended, or a nested display starts), `not-last` (another fragment of the group follows), or
   * `unknown` yet. An attachment ends the body too: holding it until the end of the message, to
   * learn whether text follows it (rare), would stop the stream and hold it all in memory.
   */
  afterFragment(part: Node, role: NodeRole, group: object): 'last' | 'not-last' | 'unknown' {
    if (role.role === 'fragment') return role.group === group ? 'not-last' : 'last';
    const ends =
      role.role === 'protected' ||
      role.startsGroup ||
      role.attachment ||
      !this.inGroup(part, group);
    return ends ? 'last' : 'unknown';
  }

  classify(node: Node): NodeRole {
    const parent = node.parent;
    const startsGroup = parent?.multipart === 'alternative';
    if (!this.isDisplayed(node, parent))
      return { role: 'other', startsGroup, attachment: node.disposition === 'attachment' };
    if (PROTECTED_TYPES.has(node.contentType)) {
      return { role: 'protected', reason: `${node.contentType} content is encrypted or signed` };
    }
    if (node.multipart && PROTECTED_MULTIPARTS.has(node.multipart)) {
      return { role: 'protected', reason: `multipart/${node.multipart} content must not change` };
    }
    this.displayed.add(node);
    const group = startsGroup || !parent ? node : (this.groups.get(parent) ?? node);
    this.groups.set(node, group);
    // The whole message, an alternative or a related root is the body, whatever name it carries.
    const body = !parent || startsGroup || parent.multipart === 'related';
    if (node.multipart || (isAttachment(node) && !body))
      return { role: 'other', startsGroup, attachment: node.disposition === 'attachment' };
    const type = node.contentType;
    if (type === 'text/plain') return { role: 'fragment', kind: 'text', group };
    if (type === 'text/html') return { role: 'fragment', kind: 'html', group };
    return { role: 'other', startsGroup, attachment: node.disposition === 'attachment' };
  }

  /** Whether `node` lies inside the display group `group`. */
  inGroup(node: Node, group: object): boolean {
    for (let n: Node | undefined = node; n; n = n.parent) {
      if (this.groups.get(n) === group || n === group) return true;
    }
    return false;
  }

  private isDisplayed(node: Node, parent: Node | undefined): boolean {
    if (!parent) return true;
    if (!this.displayed.has(parent)) return false;
    if (parent.multipart === 'alternative') return true;
    if (parent.multipart === 'related') return isRelatedRoot(node, parent);
    return !isAttachment(node);
  }
}
