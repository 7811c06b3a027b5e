import fc from 'fast-check';
import { spliceEncoded } from '../../lambda/rewrite/splice';
import { decodeQuotedPrintable } from '../../lambda/rewrite/transfer-encoding';

import libqp = require('libqp');

/**
 * Splicing additions into an encoded body: the bytes away from the insertion points stay as they
 * came, and the result decodes to the old text with the additions in place.
 */

const insert = (at: number, text: string) => ({ at, text: Buffer.from(text, 'latin1') });

describe('spliceEncoded', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i} caf=C3=A9 =3D x`).join('=\r\n');
  const raw = Buffer.from(`${lines}\r\nlast line\r\n`, 'latin1');
  const decoded = libqp.decode(raw.toString('latin1'));

  it('puts text into quoted-printable near the top and the bottom, the rest unchanged', () => {
    const footerAt = decoded.length - '\r\nlast line\r\n'.length;
    const spliced = spliceEncoded(
      raw,
      'quoted-printable',
      [insert(7, 'BANNER é\r\n\r\n'), insert(footerAt, '\r\n\r\nFOOTER')],
      decoded.length,
    );
    if (!spliced) throw new Error('not spliced');
    const expected = Buffer.concat([
      decoded.subarray(0, 7),
      Buffer.from('BANNER é\r\n\r\n', 'latin1'),
      decoded.subarray(7, footerAt),
      Buffer.from('\r\n\r\nFOOTER', 'latin1'),
      decoded.subarray(footerAt),
    ]);
    expect(libqp.decode(spliced.toString('latin1'))).toEqual(expected);
    // Everything between the first encoded line and the last two came through as it was.
    const lastTwo = raw.lastIndexOf('\n', raw.lastIndexOf('\n', raw.length - 3) - 1) + 1;
    const middle = raw.subarray(raw.indexOf('\n') + 1, lastTwo);
    expect(middle.length).toBeGreaterThan(raw.length - 200);
    expect(spliced.includes(middle)).toBe(true);
  });

  it('puts ASCII into an identity-encoded body at its offsets', () => {
    const body = Buffer.from('Hello\r\nWorld\r\n');
    expect(
      spliceEncoded(body, '7bit', [insert(0, 'B\r\n\r\n'), insert(12, '\r\n\r\nF')], 14),
    ).toEqual(Buffer.from('B\r\n\r\nHello\r\nWorld\r\n\r\nF\r\n'));
  });

  it('leaves what it cannot splice safely to a whole new encoding', () => {
    const body = Buffer.from('Hello\r\n');
    expect(spliceEncoded(body, 'base64', [insert(0, 'B')], 7)).toBeUndefined();
    expect(spliceEncoded(body, '7bit', [insert(0, 'é')], 7)).toBeUndefined();
    const long = Buffer.from(`${'x'.repeat(1200)}\r\n`);
    expect(spliceEncoded(long, '8bit', [insert(0, 'B')], long.length)).toBeUndefined();
    expect(
      spliceEncoded(Buffer.from('caf\xe9\r\n', 'latin1'), '7bit', [insert(0, 'B')], 6),
    ).toBeUndefined();
  });
});

describe('decodeQuotedPrintable', () => {
  it('reads every input as libqp does', () => {
    const pieces = fc.constantFrom(
      '=',
      '=3D',
      '=3d',
      '=\r\n',
      '=\n',
      ' \r\n',
      '\t\n',
      'a',
      '\xe9',
      '=G1',
      ' ',
      '\r',
      '\n',
      '\t',
      '4',
      'f',
      '=\r',
      '= \r \n',
      '=\t\n',
      '\r\n',
      '=4=\r\n1',
    );
    const input = fc.oneof(
      fc.array(pieces, { maxLength: 60 }).map((p) => Buffer.from(p.join(''), 'latin1')),
      fc.uint8Array({ maxLength: 200 }).map(Buffer.from),
    );
    fc.assert(
      fc.property(input, (raw) => {
        expect(decodeQuotedPrintable(raw)).toEqual(libqp.decode(raw.toString('latin1')));
      }),
      { seed: 20261202, numRuns: 5000 },
    );
  });
});
