import fc from 'fast-check';
import { displayText, tagSubjectLine, untagSubjectLine } from '../../lambda/rewrite/subject';

import libmime = require('libmime');

const TAGS = ['[EXTERNAL]', '[EXTERNE] ⚠', 'EXT:'];

/** The header line mailsplit would hold for a subject: raw ASCII, or UTF-8 encoded words. */
function subjectLine(subject: string): string {
  const ascii = /^[\x20-\x7e]*$/.test(subject);
  return `Subject: ${ascii ? subject : libmime.encodeWords(subject, 'Q', 52)}`;
}

const headerValue = (line: string) => line.slice(line.indexOf(':') + 1);

describe('subject tagging and untagging', () => {
  it('untag(tag(s)) gives s back: the same bytes for one-line ASCII, the same text for the rest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TAGS),
        fc
          .string({ unit: 'grapheme', maxLength: 120 })
          .map((s) => s.replace(/[\r\n]/g, ' ').trim()),
        (tag, subject) => {
          const line = subjectLine(subject);
          const tagged = tagSubjectLine(line, tag);
          fc.pre(tagged !== undefined); // already carries the tag: nothing to add
          const untagged = untagSubjectLine(tagged as string, [tag]);
          expect(untagged).toBeDefined();
          expect(displayText(headerValue(untagged as string)).trim()).toBe(
            displayText(headerValue(line)).trim(),
          );
          if (subject !== '' && line.length <= 78 && /^[\x20-\x7e]*$/.test(subject)) {
            expect(untagged).toBe(line);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
