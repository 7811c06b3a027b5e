import type { Readable } from 'node:stream';
import type { Log, MessageFlow, MessageStore } from '../aws/ports';
import type { Config } from '../config';
import type { MetricsPort } from '../metrics';
import type { Policy } from '../policy/schema';
import type { Repair, RewriteReport } from '../rewrite';
import type { WorkMailSyncResponse } from '../workmail';

/** Everything the rule needs from outside; tests and replay pass their own. */
export interface RuleDeps {
  messageFlow: MessageFlow;
  store: MessageStore;
  /** Where untouched originals are kept, when the deployment keeps them. */
  originals?: MessageStore;
  config: Config;
  policy: Policy;
  log: Log;
  /** One measure per invocation (CloudWatch metrics in production). */
  metrics?: MetricsPort;
  /** Milliseconds, for timings and the time budget. */
  now: () => number;
  /**
   * Takes what audit-only rules would have made of the message; by default it is read and
   * discarded (only the report is logged). Replay writes it to a file.
   */
  auditSink?: (message: Readable) => Promise<void>;
}

/** How one invocation ended, as logged and as replay reports it. */
export type RuleOutcome =
  | 'rewritten'
  | 'unchanged'
  | 'no-rule-applies'
  | 'already-rewritten'
  | 'bounced-by-fallback'
  | 'wrapped-by-fallback'
  | 'junked-by-fallback'
  | 'delivered-unchanged-after-failure';

export interface RuleResult {
  response: WorkMailSyncResponse;
  outcome: RuleOutcome;
  /** Names of the policy rules that applied. */
  rules?: string[];
  report?: RewriteReport;
  objectKey?: string;
  /** What was repaired before the rewrite went through (see rewrite/repair-message.ts). */
  repairs?: Repair[];
  /** Why a failure, or an addition that could not be placed, led to the fallback. */
  reason?: string;
  /** Key of the untouched original in the originals bucket, when it was kept. */
  originalKey?: string;
  /** What the policy's audit-only rules would have done, when one of them applies. */
  audit?: AuditResult;
  timings?: { streamMs: number; putMs: number };
}

/** What audit-only rules would have done: the answer, and the changes or why none were made. */
export interface AuditResult {
  outcome: 'audit-would-rewrite' | 'audit-would-not-change' | 'audit-would-fall-back';
  rules: string[];
  response: WorkMailSyncResponse;
  report?: RewriteReport;
  /** Why the audit-only rules' changes could not have been made (the fallback would answer). */
  reason?: string;
}
