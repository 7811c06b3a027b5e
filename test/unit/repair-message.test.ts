import fc from 'fast-check';
import { type RepairResult, repairMessage } from '../../lambda/rewrite/repair-message';
import { putContentProblem } from '../../local/put-content-rules';
import { multipart, part, withTopHeaders } from '../helpers/build-mime';
import { leafParts, readFixture } from '../helpers/mime';
import { fuzzSeeds, mutated, mutations } from '../helpers/mutations';
import { PROPERTY_RUN_TIMEOUT } from '../helpers/timeouts';

const NOW = () => new Date(Date.UTC(2026, 11, 2, 12, 0, 0));
const TOP = ['From: sender@partner.example', 'Subject: Test', 'MIME-Version: 1.0'];
const DATED = [...TOP, 'Date: Tue, 01 Dec 2026 10:00:00 +0000'];

function repaired(message: Buffer): RepairResult {
  const result = repairMessage(message, { now: NOW });
  if ('refused' in result) throw new Error(`refused: ${result.refused}`);
  return result;
}

/** Each leaf's decoded bytes, in order, attached messages' parts too: what a reader gets. */
async function decodedLeaves(message: Buffer): Promise<Buffer[]> {
  return (await leafParts(message, { embedded: true })).map((leaf) => leaf.decoded);
}

describe('repairMessage', () => {
  it('leaves a message that needs nothing byte for byte as it was', () => {
    const original = readFixture('alternative-with-pdf.eml');
    const { message, repairs } = repaired(original);
    expect(repairs).toEqual([]);
    expect(message.equals(original)).toBe(true);
  });

  it('closes multiparts that never close, innermost first', async () => {
    const inner = multipart('alternative', 'in', [part(['Content-Type: text/plain'], 'hi')], [], {
      unclosed: true,
    });
    const original = withTopHeaders(
      DATED,
      multipart('mixed', 'out', [inner], [], { unclosed: true }),
    );
    const { message, repairs } = repaired(original);
    expect(repairs.map((r) => [r.kind, r.part])).toEqual([
      ['closed-multipart', '1'],
      ['closed-multipart', 'TEXT'],
    ]);
    expect(message.toString('latin1').endsWith('--in--\r\n\r\n--out--\r\n')).toBe(true);
    expect(await putContentProblem(message, 'assumed')).toBeUndefined();
    expect(await decodedLeaves(message)).toEqual(await decodedLeaves(original));
  });

  it.each([
    ['a line over 998 octets', ['Content-Type: application/octet-stream'], 'z'.repeat(1500)],
    ['a bare CR', ['Content-Type: text/plain'], 'one\rtwo'],
    ['8-bit bytes under 7bit', ['Content-Type: text/plain; charset=iso-8859-1'], 'caf\xe9'],
    ['binary', ['Content-Type: image/png', 'Content-Transfer-Encoding: binary'], '\x89PNG\r\x00'],
    [
      'a base64 line over 998 octets',
      ['Content-Type: application/pdf', 'Content-Transfer-Encoding: base64'],
      Buffer.from('x'.repeat(2000)).toString('base64'),
    ],
  ])(
    're-encodes a part with %s as base64, its decoded bytes identical',
    async (_case, headers, body) => {
      const original = withTopHeaders(
        DATED,
        multipart('mixed', 'm', [part(['Content-Type: text/plain'], 'hello'), part(headers, body)]),
      );
      const { message, repairs } = repaired(original);
      expect(repairs).toEqual([expect.objectContaining({ kind: 're-encoded-part', part: '2' })]);
      expect(await putContentProblem(message, 'assumed')).toBeUndefined();
      expect(await decodedLeaves(message)).toEqual(await decodedLeaves(original));
      // The part that needed nothing is byte for byte as it was.
      expect(message.toString('latin1')).toContain(
        '--m\r\nContent-Type: text/plain\r\n\r\nhello\r\n--m',
      );
    },
  );

  it('re-encodes a part that has no header at all (text/plain by default)', async () => {
    const original = withTopHeaders(
      DATED,
      multipart('mixed', 'm', [part([], `one\r\n\r\n${'w'.repeat(1200)}`)]),
    );
    const { message, repairs } = repaired(original);
    expect(repairs).toEqual([expect.objectContaining({ kind: 're-encoded-part', part: '1' })]);
    expect(message.toString('latin1')).toContain(
      '--m\r\nContent-Transfer-Encoding: base64\r\n\r\n',
    );
    expect(await decodedLeaves(message)).toEqual(await decodedLeaves(original));
  });

  it('dates a message without Date: by its arrival, else by the clock', () => {
    const received =
      'Received: from mx.partner.example by inbound.example; Tue, 1 Dec 2026 09:30:00 +0100';
    const arrived = repaired(withTopHeaders([received, ...TOP], part([], 'x')));
    expect(arrived.message.toString()).toContain('Date: Tue, 01 Dec 2026 08:30:00 +0000\r\n\r\nx');
    expect(arrived.repairs).toEqual([
      { kind: 'added-date', part: 'TEXT', detail: 'Date from the topmost Received header' },
    ]);
    const clocked = repaired(withTopHeaders(TOP, part([], 'x')));
    expect(clocked.message.toString()).toContain('Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n');
  });

  it('reads a boundary as the splitter does: one it cannot use makes no multipart to close', () => {
    const original = withTopHeaders(
      DATED,
      multipart('mixed', 'b\x01', [part([], 'x')], [], { unclosed: true }),
    );
    const { message, repairs } = repaired(original);
    expect(repairs).toEqual([]);
    expect(message.equals(original)).toBe(true);
  });

  it.each([
    [
      'a boundary nested in its own',
      withTopHeaders(DATED, multipart('mixed', 'b', [multipart('mixed', 'b', [part([], 'x')])])),
      /reuses the boundary/,
    ],
    [
      'a header line over 998 octets',
      withTopHeaders([`X-Long: ${'x'.repeat(1200)}`], part([], 'x')),
      /line rules/,
    ],
    [
      'an unknown transfer encoding',
      withTopHeaders(DATED, part(['Content-Transfer-Encoding: x-uuencode'], `${'y'.repeat(1200)}`)),
      /unknown transfer encoding/,
    ],
    [
      'a part whose headers run into its body (where a new encoding would show as text)',
      withTopHeaders(
        DATED,
        multipart('mixed', 'b', [
          Buffer.from('Content-Type: text/plain; charset=iso-8859-1\r\ncaf\xe9 au lait', 'latin1'),
        ]),
      ),
      /part 1 has no blank line after its headers/,
    ],
  ])('refuses %s, naming why', (_case, message, reason) => {
    const result = repairMessage(message, { now: NOW });
    expect('refused' in result && result.refused).toMatch(reason);
  });

  it(
    'on mutated real messages: refuses, or meets the line rules with every decoded part identical',
    async () => {
      const seeds = fuzzSeeds();
      let repairedCount = 0;
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), mutations, async (seed, steps) => {
          const bytes = mutated(seeds[seed] as Buffer, steps).toString('latin1');
          // As the engine hands it over: bare LF is normalised before the repair sees it.
          const original = Buffer.from(bytes.replace(/\r?\n/g, '\r\n'), 'latin1');
          const result = repairMessage(original, { now: NOW });
          if ('refused' in result || result.repairs.length === 0) return;
          repairedCount++;
          expect(await putContentProblem(result.message, 'documented')).toBeUndefined();
          expect(await decodedLeaves(result.message)).toEqual(await decodedLeaves(original));
        }),
        { seed: 7, numRuns: 300 },
      );
      expect(repairedCount).toBeGreaterThan(50);
    },
    PROPERTY_RUN_TIMEOUT,
  );

  it('leaves signed content alone: a problem under a signature is refused', () => {
    const signed = readFixture('signed.eml').toString('latin1');
    const broken = Buffer.from(
      signed.replace(/(Content-Type: text\/plain[\s\S]*?\r\n\r\n)/, `$1${'q'.repeat(1200)}\r\n`),
      'latin1',
    );
    const result = repairMessage(broken, { now: NOW });
    expect('refused' in result && result.refused).toMatch(/signed or encrypted/);
  });
});
