import type { MimeNode } from '@zone-eu/mailsplit';

/** What the engine may do with a MIME node. */
export type BodyKind = 'text' | 'html' | 'none';

type Node = Pick<
  MimeNode,
  'root' | 'parentNode' | 'multipart' | 'contentType' | 'disposition' | 'filename'
>;

// Changing one byte under these breaks a signature or is impossible (RFC 1847, RFC 8551).
const PROTECTED_MULTIPARTS = new Set(['signed', 'encrypted']);
const PROTECTED_TYPES = new Set([
  'application/pkcs7-mime',
  'application/x-pkcs7-mime',
  'application/pgp-encrypted',
]);

function isAttachment(node: Node): boolean {
  return node.disposition === 'attachment' || Boolean(node.filename);
}

/**
 * Finds the displayed body of a message as mail clients do, one node at a time, in the order the
 * splitter emits them: the root; every alternative of a `multipart/alternative`; in any other
 * multipart (mixed, related, report...), the first child that is not an attachment. Nothing
 * under `multipart/signed` or `multipart/encrypted` is selected. Attached messages never reach
 * it: the splitter runs with `ignoreEmbedded`, so they stay opaque leaves.
 */
export class BodySelector {
  private readonly displayed = new WeakSet<object>();
  private readonly slotTaken = new WeakSet<object>();

  /** Classifies a node; must see every node of one message, parents before children. */
  classify(node: Node): BodyKind {
    if (!this.isDisplayed(node)) return 'none';
    this.displayed.add(node);
    if (node.multipart || isAttachment(node)) return 'none';
    if (node.contentType === 'text/plain') return 'text';
    if (node.contentType === 'text/html') return 'html';
    return 'none';
  }

  private isDisplayed(node: Node): boolean {
    if (PROTECTED_TYPES.has(node.contentType || '')) return false;
    if (node.multipart && PROTECTED_MULTIPARTS.has(node.multipart)) return false;
    const parent = node.parentNode;
    if (node.root || !parent) return true;
    if (!this.displayed.has(parent)) return false;
    if (parent.multipart === 'alternative') return true;
    if (this.slotTaken.has(parent) || isAttachment(node)) return false;
    this.slotTaken.add(parent);
    return true;
  }
}
