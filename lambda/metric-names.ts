// Names only, no Powertools: the stack reads them at synth without loading the metrics library.

/**
 * Metric names and dimensions the function emits (CloudWatch embedded metric format, through
 * Powertools Metrics). The stack's alarms and dashboard use these same constants.
 */
export const METRICS = {
  namespace: 'WorkMailRewriteRule',
  service: 'workmail-rewrite-rule',
  /** One per invocation, by `Outcome` and `Direction`. */
  messages: 'Messages',
  /**
   * The original went out (or bounced, or wrapped) because the content could not be changed, or a
   * banner or footer could not be placed (signed or encrypted part) and the fallback delivered.
   */
  fallbacks: 'FallbacksApplied',
  /** The function threw so that WorkMail retries. */
  retries: 'RetriesRequested',
  /** By `Reason`: why a fallback or a retry happened (a short fixed vocabulary). */
  reasons: 'FailureReasons',
  messageBytes: 'MessageBytes',
  streamMs: 'GetRewriteUploadMs',
  putMs: 'PutMs',
  budgetLeftMs: 'BudgetLeftMs',
} as const;
