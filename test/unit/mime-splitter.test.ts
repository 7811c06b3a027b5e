import fc from 'fast-check';
import { MAX_PARTS, MimeSplitter } from '../../lambda/rewrite/mime-splitter';
import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';
import { type FlatEvent, splitEvents } from '../helpers/split-events';
import { PROPERTY_RUN_TIMEOUT } from '../helpers/timeouts';

/**
 * The splitter on hand-written shapes (each says what RFC 2046 / RFC 5322 make of it), and two
 * properties on generated and arbitrary input: split then join gives the input back, and the
 * events do not depend on how the input was cut.
 */

const SEED = 20261202;

function crlf(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');
}

/** Events at every chunk size from 1 to 40 and whole agree; returns them. */
function split(raw: Buffer): FlatEvent[] {
  const whole = splitEvents(raw);
  for (let chunk = 1; chunk <= 40; chunk++) expect(splitEvents(raw, chunk)).toEqual(whole);
  expect(whole.map((e) => e.bytes).join('')).toBe(raw.toString('latin1'));
  return whole;
}

function shape(events: FlatEvent[]): string[] {
  return events.map((e) =>
    e.type === 'delimiter' ? `${e.close ? 'close' : 'delim'} ${e.part}` : `${e.type} ${e.part}`,
  );
}

function body(events: FlatEvent[], part: string): string | undefined {
  return events.find((e) => e.type === 'body' && e.part === part)?.bytes;
}

const TOP = 'From: a@example.com\nContent-Type: multipart/mixed; boundary="b"\n\n';

describe('MimeSplitter', () => {
  it('reads preamble, parts, delimiters and epilogue; the CRLF before a delimiter is its own', () => {
    const events = split(
      crlf(`${TOP}preamble\n--b\nContent-Type: text/plain\n\none\n--b\n\ntwo\n--b--\nepilogue\n`),
    );
    expect(shape(events)).toEqual([
      'head TEXT',
      'body TEXT',
      'delim TEXT',
      'head 1',
      'body 1',
      'delim TEXT',
      'head 2',
      'body 2',
      'close TEXT',
      'body TEXT',
    ]);
    expect(body(events, '1')).toBe('one');
    expect(events[2]?.bytes).toBe('\r\n--b\r\n');
    expect(events[8]?.bytes).toBe('\r\n--b--\r\n');
    expect(events[9]?.bytes).toBe('epilogue\r\n');
  });

  it('accepts whitespace after a delimiter, and takes no line that only starts with one', () => {
    const events = split(crlf(`${TOP}--b \t\n\nx\n--bb\n--b-\n--b --\n--b--  \n`));
    expect(shape(events)).toEqual(['head TEXT', 'delim TEXT', 'head 1', 'body 1', 'close TEXT']);
    expect(body(events, '1')).toBe('x\r\n--bb\r\n--b-\r\n--b --');
  });

  it('ends an inner multipart at a delimiter of an enclosing one (left unclosed)', () => {
    const raw = crlf(
      `${TOP}--b\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\ninner\n--b\n\nouter\n--b--\n`,
    );
    const splitter = new MimeSplitter();
    const events = [...splitter.write(raw), ...splitter.end()];
    const inner = events.find((e) => e.type === 'head' && e.part.path.join() === '1');
    expect(inner?.type === 'head' && inner.part.closed).toBe(false);
    expect(shape(split(raw))).toEqual([
      'head TEXT',
      'delim TEXT',
      'head 1',
      'delim 1',
      'head 1.1',
      'body 1.1',
      'delim TEXT',
      'head 2',
      'body 2',
      'close TEXT',
    ]);
  });

  it('does not take an outer closing delimiter quoted mid-line in an inner epilogue', () => {
    const raw = crlf(
      `${TOP}--b\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\nx\n--i--\nsee --b-- here\n--b--\n`,
    );
    const events = split(raw);
    expect(body(events, '1')).toBe('see --b-- here');
    expect(events[events.length - 1]).toMatchObject({
      type: 'delimiter',
      part: 'TEXT',
      close: true,
    });
  });

  it('keeps headers that run into the next delimiter as a part without body, once', () => {
    const events = split(
      crlf(`${TOP}--b\nContent-Type: text/plain\n--b\nContent-Type: application/pdf\n--b--\n`),
    );
    expect(shape(events)).toEqual([
      'head TEXT',
      'delim TEXT',
      'head 1',
      'delim TEXT',
      'head 2',
      'close TEXT',
    ]);
    expect(events[2]?.bytes).toBe('Content-Type: text/plain\r\n');
  });

  it('starts the body at the first line that is no header field', () => {
    const raw = crlf(`${TOP}--b\nContent-Type: text/plain\nHello: no, this\nis the body\n--b--\n`);
    const splitter = new MimeSplitter();
    const events = [...splitter.write(raw), ...splitter.end()];
    const head = events.find((e) => e.type === 'head' && e.part.path.join() === '1');
    expect(head?.type === 'head' && head.part.headEnd).toBe('body-line');
    expect(body(split(raw), '1')).toBe('is the body');
  });

  it('keeps the message headers up to the blank line, whatever the lines are', () => {
    const events = split(crlf('\x01garbage\nFrom: a\n\nbody\n'));
    expect(events[0]?.bytes).toBe('\x01garbage\r\nFrom: a\r\n\r\n');
  });

  it('reads a delimiter after a lone CR, and LF-only input', () => {
    const lf = split(Buffer.from(`${TOP}--b\n\nx\n--b--\n`));
    expect(body(lf, '1')).toBe('x');
    const cr = split(Buffer.from(`${TOP}--b\n\nx\n\r--b--\n`));
    expect(body(cr, '1')).toBe('x');
  });

  it('does not count a closing delimiter in the preamble, and skips attached messages', () => {
    const events = split(
      crlf(
        `${TOP}--b--\n--b\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=m\n\n--m\n\n--b--\n`,
      ),
    );
    expect(body(events, 'TEXT')).toBe('--b--');
    expect(shape(events)).toEqual([
      'head TEXT',
      'body TEXT',
      'delim TEXT',
      'head 1',
      'body 1',
      'close TEXT',
    ]);
  });

  it('declines more parts than it holds', () => {
    const parts = Array.from({ length: MAX_PARTS }, () => '--b\n\np\n').join('');
    const splitter = new MimeSplitter();
    expect(() => splitter.write(crlf(`${TOP}${parts}--b--\n`))).toThrow(RewriteDeclinedError);
  });
});

/** Lines that make MIME structure, and lines that nearly do. */
const LINES = [
  'Content-Type: multipart/mixed; boundary=b',
  'Content-Type: multipart/alternative; boundary="b1"',
  'Content-Type: text/plain',
  'Content-Type: multipart/digest; boundary=b',
  'Content-Transfer-Encoding: base64',
  'X-Fold:',
  ' folded',
  '',
  '',
  '--b',
  '--b1',
  '--b--',
  '--b1--',
  '--b  ',
  '--b1--\t',
  '--bx',
  '-- b',
  'text --b',
  'body line',
  'QUJDRA==',
  '\r',
  '\r--b',
];

const structured = fc
  .array(fc.tuple(fc.constantFrom(...LINES), fc.constantFrom('\r\n', '\n', '\r', '')), {
    maxLength: 40,
  })
  .map((lines) =>
    Buffer.from(
      `Content-Type: multipart/mixed; boundary=b\r\n\r\n${lines.map(([l, e]) => l + e).join('')}`,
      'latin1',
    ),
  );

describe('MimeSplitter properties', () => {
  it(
    'split then join is the input, and the events are the same at every chunking',
    () => {
      const input = fc.oneof(structured, fc.uint8Array({ maxLength: 300 }).map(Buffer.from));
      fc.assert(
        fc.property(input, fc.integer({ min: 1, max: 64 }), (raw, chunk) => {
          const whole = splitEvents(raw);
          expect(whole.map((e) => e.bytes).join('')).toBe(raw.toString('latin1'));
          expect(splitEvents(raw, chunk)).toEqual(whole);
        }),
        { seed: SEED, numRuns: 1500 },
      );
    },
    PROPERTY_RUN_TIMEOUT,
  );
});
