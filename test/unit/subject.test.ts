import libmime = require('libmime');

import { displayText, newSubjectLine, tagSubjectLine } from '../../lambda/rewrite/subject';

const TAG = '[EXTERNAL]';

describe('tagSubjectLine', () => {
  it('puts the tag after the colon and keeps the value as it was', () => {
    expect(tagSubjectLine('Subject: Hello', TAG)).toBe('Subject: [EXTERNAL] Hello');
  });

  it('adds the missing space when the value starts right after the colon', () => {
    expect(tagSubjectLine('subject:Hello', TAG)).toBe('subject: [EXTERNAL] Hello');
  });

  it('tags an empty subject', () => {
    expect(tagSubjectLine('Subject:', TAG)).toBe('Subject: [EXTERNAL]');
    expect(tagSubjectLine('Subject: ', TAG)).toBe('Subject: [EXTERNAL]');
  });

  it('returns undefined when a reply already carries the tag, in any case', () => {
    expect(tagSubjectLine('Subject: RE: [external] Hello', TAG)).toBeUndefined();
  });

  it('counts the tag only in front, before or after reply and forward prefixes', () => {
    expect(tagSubjectLine('Subject: AW: WG: RE[2]: [EXTERNAL] Hello', TAG)).toBeUndefined();
    expect(tagSubjectLine('Subject: [EXTERNAL] Re: Hello', TAG)).toBeUndefined();
    // Placed where clients cut the subject off, a tag would never be seen: ours goes in front.
    const hidden = `Subject: Invoice${' '.repeat(200)}[EXTERNAL]`;
    expect(tagSubjectLine(hidden, TAG)).toMatch(/^Subject: \[EXTERNAL\]\r\n Invoice/);
    // Nor behind a long run of prefixes, which pushes it off screen just the same.
    expect(tagSubjectLine(`Subject: ${'RE: '.repeat(25)}[EXTERNAL] Urgent`, TAG)).toMatch(
      /^Subject: \[EXTERNAL\]\r\n RE: RE:/,
    );
    expect(tagSubjectLine('Subject: Re: [ticket 7] [EXTERNAL] Hello', TAG)).toBe(
      'Subject: [EXTERNAL] Re: [ticket 7] [EXTERNAL] Hello',
    );
  });

  it('finds the tag inside an encoded word', () => {
    const encoded = `Subject: ${libmime.encodeWord('AW: [EXTERNAL] Grüße', 'B')}`;
    expect(tagSubjectLine(encoded, TAG)).toBeUndefined();
  });

  it('folds after the tag when the first line would pass 78 characters', () => {
    const value = ` ${'word '.repeat(14).trim()}`;
    const tagged = tagSubjectLine(`Subject:${value}`, TAG);
    expect(tagged).toBe(`Subject: [EXTERNAL]\r\n${value}`);
    expect(displayText(tagged?.slice('Subject:'.length) ?? '')).toBe(` [EXTERNAL]${value}`);
  });

  it('keeps existing folds of the value', () => {
    const line = 'Subject: first part\r\n second part';
    expect(tagSubjectLine(line, TAG)).toBe('Subject: [EXTERNAL] first part\r\n second part');
  });

  it('encodes a non-ASCII tag and keeps the space before a following encoded word', () => {
    const line = `Subject: ${libmime.encodeWord('Grüße', 'B')}`;
    const tagged = tagSubjectLine(line, '[外部]') ?? '';
    expect(tagged).toMatch(/^Subject: =\?UTF-8\?Q\?/);
    expect(displayText(tagged.slice('Subject:'.length)).trim()).toBe('[外部] Grüße');
  });

  it('keeps raw 8-bit UTF-8 in the value byte for byte', () => {
    const raw = Buffer.from('Subject: Café', 'utf8').toString('latin1');
    expect(tagSubjectLine(raw, TAG)).toBe(
      Buffer.from('Subject: [EXTERNAL] Café', 'utf8').toString('latin1'),
    );
  });
});

describe('newSubjectLine', () => {
  it('builds a Subject line from the tag alone', () => {
    expect(newSubjectLine(TAG)).toBe('Subject: [EXTERNAL]');
  });
});
