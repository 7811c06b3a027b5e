import type { Readable } from 'node:stream';
import type { RawMessage } from '../aws/ports';
import { hasAuditRules } from '../policy/decide';
import { startRewrite } from '../rewrite';
import { sideCopy, tee } from '../tee';
import { type Auditing, startAudit } from './audit';
import { type EventInvocation, markerOf } from './invocation';
import { type Keeping, keepOriginal } from './keep-original';
import type { RuleResult } from './types';

/** How far the original's upload may fall behind the rewrite before it is given up. */
const ORIGINAL_MAX_BEHIND_BYTES = 16 * 1024 * 1024;

/** What runs beside the rewrite on copies of the message: the audit and the kept original. */
export interface SideTasks {
  /** The message for the rewrite itself. */
  input: Readable;
  auditing?: Auditing;
  keeping?: Keeping;
  /** Waits for both (a frozen Lambda would never finish them) and adds what they gave. */
  finish(result: RuleResult): Promise<RuleResult>;
  /** The invocation is retried: the retry audits again, and keeps the original if this had not. */
  abandon(): Promise<void>;
}

export function startSideTasks(invocation: EventInvocation, message: RawMessage): SideTasks {
  const auditing = hasAuditRules(invocation.deps.policy);
  const originals = invocation.deps.originals;
  const [input = message.body, auditInput] =
    auditing || originals ? tee(message.body, auditing ? 2 : 1) : [];
  const audit =
    auditInput &&
    startAudit(invocation, startRewrite(auditInput, { marker: markerOf(invocation) }));
  // The copy never holds the mail back: one that falls too far behind is given up.
  const keeping =
    originals &&
    keepOriginal(invocation, originals, sideCopy(message.body, ORIGINAL_MAX_BEHIND_BYTES));
  return {
    input,
    ...(audit ? { auditing: audit } : {}),
    ...(keeping ? { keeping } : {}),
    async finish(result) {
      const [originalKey, audited] = await Promise.all([keeping?.finish(), audit?.finish()]);
      return {
        ...result,
        ...(originalKey ? { originalKey } : {}),
        ...(audited ? { audit: audited } : {}),
      };
    },
    async abandon() {
      audit?.cancel();
      await keeping?.finish();
    },
  };
}
