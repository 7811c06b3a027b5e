/**
 * The rewrite engine's public entry: what another mail path imports. Streams a raw message in,
 * reads its head, takes a plan decided on that head, and streams the rewritten message out. It
 * has no AWS code and knows nothing of policies.
 */
export { isCalendarReply } from './calendar-reply';
export type { OwnBanner } from './clean-reply';
export { HeaderBlock, type HeaderField } from './header-block';
export { AT_MOST_ONCE } from './header-rules';
export { escapeHtml } from './html-escape';
export { type MimePart, partName } from './mime-part';
export { type MimeEvent, MimeSplitter } from './mime-splitter';
export { type Repair, type RepairResult, repairMessage } from './repair-message';
export { type DeclineReason, RewriteDeclinedError } from './rewrite-declined';
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  type MessageRewrite,
  startPlannedRewrite,
  startRewrite,
} from './rewrite-message';
export type {
  BodyText,
  ContentPlan,
  MessageHead,
  PartReport,
  PlannedRewrite,
  RewriteOptions,
  RewriteReport,
  TopHeaders,
} from './rewrite-rules';
export { CrlfNormalizer } from './stream-guards';
export { decodeTransfer } from './transfer-encoding';
export { type WrapAttachment, wrapMessage } from './wrap-message';
