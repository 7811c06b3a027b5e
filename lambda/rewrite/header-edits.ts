import { type HeaderBlock, unfolded } from './header-block';
import type { ContentPlan, RewriteReport, TopHeaders } from './rewrite-rules';
import { displayText, newSubjectLine, tagSubjectLine, untagSubjectLine } from './subject';

import libmime = require('libmime');

/** A header value as written: ASCII as is, anything else as RFC 2047 words. */
export function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : libmime.encodeWords(value, 'Q', 52);
}

/** The message's top-level headers as a plan reads them: a copy, the edits do not show through. */
export function topHeadersOf(header: HeaderBlock): TopHeaders {
  const fields = header.fields.map(({ key, line }) => ({ key, line }));
  const values = (name: string) =>
    fields
      .filter(({ key }) => key === name.toLowerCase())
      .map(({ line }) => displayText(unfolded(line)).trim());
  return { get: values, subject: () => values('subject')[0] ?? '' };
}

/** Whether the block carries the marker with this run's value: this engine's own output. */
export function carriesMarker(header: HeaderBlock, marker: { header: string; value: string }) {
  return header.values(marker.header).includes(marker.value);
}

type HeaderReport = Pick<
  RewriteReport,
  'subject' | 'foreignMarkerRemoved' | 'headersSet' | 'headersRemoved'
>;

/**
 * Edits the top-level header block as planned: removes headers, tags or cleans the subject, sets
 * headers, then sets the marker. Trace headers (Received, Return-Path) stay on top, and a later
 * run finds everything where it left it. Untouched fields keep their bytes.
 */
export function editTopHeaders(
  header: HeaderBlock,
  content: ContentPlan,
  marker: { header: string; value: string },
  report: HeaderReport,
) {
  report.foreignMarkerRemoved = header.values(marker.header).length > 0;
  for (const name of content.removeHeaders ?? []) {
    if (!header.has(name)) continue;
    header.remove(name);
    report.headersRemoved.push(name);
  }
  tagSubject(header, content, report);
  for (const [name, text] of content.headers ?? []) {
    const value = headerValue(text);
    const current = header.values(name);
    if (current.length === 1 && current[0] === value) continue;
    header.set(name, value);
    report.headersSet.push(name);
  }
  header.set(marker.header, marker.value);
}

function tagSubject(header: HeaderBlock, content: ContentPlan, report: HeaderReport) {
  const subjects = header.fields.filter((field) => field.key === 'subject');
  const subject = subjects[0];
  const cleaned =
    subject && content.cleanReplies
      ? untagSubjectLine(subject.line, content.cleanReplies.subjectTags)
      : undefined;
  if (subject && cleaned !== undefined) {
    header.edit(subject, cleaned);
    report.subject = 'cleaned';
  }
  const tag = content.subjectTag;
  if (!tag) return;
  if (!subject) {
    header.append('subject', newSubjectLine(tag));
    report.subject = 'added';
    return;
  }
  // Readers differ on which of several Subject: headers they show: every one gets the tag.
  let changed = false;
  for (const field of subjects) {
    const tagged = tagSubjectLine(field.line, tag);
    if (tagged === undefined) continue;
    header.edit(field, tagged);
    changed = true;
  }
  report.subject = changed ? 'tagged' : 'already-tagged';
}
