import type { ContentPlan, RewriteReport } from '../rewrite';

/** Whether the rewrite changed more than the marker (otherwise no Put is needed). */
export function changedAnything(report: RewriteReport): boolean {
  return (
    report.subject === 'tagged' ||
    report.subject === 'cleaned' ||
    report.subject === 'added' ||
    report.headersSet.length > 0 ||
    report.headersRemoved.length > 0 ||
    report.parts.some((part) => part.change === 'rewritten')
  );
}

/** A banner or footer that was asked for and placed on no part (signed mail, say). */
export function unplacedAddition(content: ContentPlan, report: RewriteReport): string | undefined {
  if (report.bodyLeftAsIs) return undefined;
  for (const role of ['banner', 'footer'] as const) {
    if (!content[role]?.text && !content[role]?.html) continue;
    const placed = report.parts.some(
      (p) => p.added?.includes(role) || p.change === 'already-present',
    );
    if (!placed) {
      const why =
        report.parts.find((p) => p.change === 'skipped')?.reason ??
        'no displayed text or HTML body';
      return `${role} not placed: ${why}`;
    }
  }
  return undefined;
}
