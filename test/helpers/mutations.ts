import fc from 'fast-check';
import { readFixture } from './mime';

/** Real messages that the fuzz tests mutate. */
export function fuzzSeeds(): Buffer[] {
  return [
    'alternative-with-pdf.eml',
    'signed.eml',
    'forwarded-message.eml',
    'html-base64-encoded-subject.eml',
    'latin1-8bit.eml',
  ].map((name) => readFixture(name));
}

/** What a broken client or a hostile sender does to a message: flip, cut, insert, truncate. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('cut' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '\r\n',
      '\n',
      '\r',
      '--',
      '\r\n--mixed-boundary-1\r\n',
      '=',
      '\0',
      'Content-Type: multipart/mixed; boundary=x\r\n',
      'Subject: second\r\n',
      '\r\n\r\n',
    ),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 6 });

/** The seed with the mutations applied, in order. */
export type Mutations = typeof mutations extends fc.Arbitrary<infer T> ? T : never;

export function mutated(seed: Buffer, steps: Mutations): Buffer {
  let message = seed;
  for (const m of steps) {
    const at = m.at % (message.length + 1);
    if (m.kind === 'flip' && message.length)
      message = Buffer.concat([
        message.subarray(0, at),
        Buffer.from([m.byte]),
        message.subarray(at + 1),
      ]);
    if (m.kind === 'cut')
      message = Buffer.concat([message.subarray(0, at), message.subarray(at + m.length)]);
    if (m.kind === 'insert')
      message = Buffer.concat([
        message.subarray(0, at),
        Buffer.from(m.text, 'latin1'),
        message.subarray(at),
      ]);
    if (m.kind === 'truncate') message = message.subarray(0, at);
  }
  return message;
}
