import { HeaderBlock } from '../../lambda/rewrite/header-block';

/** The header block gives back its bytes as they came, and keeps untouched fields' bytes on edits. */

const RAW = Buffer.from(
  'Received: from a\r\n\tby b\r\nSubject: hello\nX-Odd : value\r\nX-8bit: caf\xe9\r\n\r\n',
  'latin1',
);

describe('HeaderBlock', () => {
  it('reads fields with their folds and gives back the same bytes when untouched', () => {
    const block = HeaderBlock.parse(RAW, 2);
    expect(block.fields.map((f) => f.key)).toEqual(['received', 'subject', 'x-odd', 'x-8bit']);
    expect(block.values('received')).toEqual(['from a\tby b']);
    expect(block.first('x-odd')).toBe('value');
    expect(block.toBuffer()).toBe(RAW);
  });

  it('rewrites only the fields it changes, in place, with CRLF', () => {
    const block = HeaderBlock.parse(RAW, 2);
    block.set('Subject', 'changed');
    block.append('x-new', 'X-New: 1');
    block.remove('X-Odd');
    expect(block.toBuffer().toString('latin1')).toBe(
      'Received: from a\r\n\tby b\r\nSubject: changed\r\nX-8bit: caf\xe9\r\nX-New: 1\r\n\r\n',
    );
  });

  it('keeps a block that had no blank line without one', () => {
    const block = HeaderBlock.parse(Buffer.from('Content-Type: text/plain\r\n'), 0);
    block.set('Content-Transfer-Encoding', 'base64');
    expect(block.toBuffer().toString()).toBe(
      'Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n',
    );
  });
});
