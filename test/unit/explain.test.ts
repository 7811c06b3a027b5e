import type { RewriteReport } from '../../lambda/rewrite';
import { changeWords } from '../../local/explain';

const REPORT: RewriteReport = {
  alreadyRewritten: false,
  subject: 'already-tagged',
  foreignMarkerRemoved: true,
  headersSet: ['X-Mail-Origin'],
  headersRemoved: ['X-Scanned'],
  lineEndingsFixed: 3,
  bytesIn: 100,
  bytesOut: 200,
  parts: [
    {
      part: '1.1',
      contentType: 'text/plain',
      change: 'rewritten',
      added: ['banner', 'footer'],
      charset: { from: 'us-ascii', to: 'utf-8' },
      transferEncoding: { from: '7bit', to: 'quoted-printable' },
      bytesBefore: 10,
      bytesAfter: 90,
    },
    {
      part: '1.2',
      contentType: 'text/html',
      change: 'rewritten',
      added: ['banner'],
      neutralised: 2,
      bytesBefore: 10,
      bytesAfter: 90,
    },
    {
      part: '2',
      contentType: 'text/plain',
      change: 'skipped',
      reason: 'bytes that are not valid iso-2022-jp',
      bytesBefore: 10,
      bytesAfter: 10,
    },
    {
      part: '3',
      contentType: 'text/html',
      change: 'already-present',
      bytesBefore: 5,
      bytesAfter: 5,
    },
  ],
};

describe('changeWords', () => {
  it('says what was added, repaired or left alone in each part, and why', () => {
    expect(changeWords(REPORT, 'X-Mail-Rewrite-Id')).toEqual([
      'Subject: left alone: it already starts with the tag',
      'X-Mail-Origin: set (a rule that applies sets it)',
      'X-Scanned: removed: a rule of the policy sets it, none does on this message, and mail from outside cannot bring its own',
      'X-Mail-Rewrite-Id: a copy written by someone else replaced (it proves nothing)',
      '3 bare line feeds repaired to CRLF (WorkMail takes CRLF only)',
      '1.1 text/plain: banner and footer added; converted from us-ascii to utf-8: the addition does not fit us-ascii; re-encoded from 7bit to quoted-printable: it now holds non-ASCII text or a line over 998 octets',
      '1.2 text/html: banner added; 2 copies of our mark written by someone else renamed, so they cannot pass for ours',
      '2 text/plain: left alone: bytes that are not valid iso-2022-jp',
      '3 text/html: left alone: the banner or footer is already in place on trusted mail',
    ]);
  });

  it('says a retry of this invocation changes nothing', () => {
    expect(changeWords({ ...REPORT, alreadyRewritten: true }, 'X-Mail-Rewrite-Id')).toEqual([
      "already this invocation's own output (a retry): nothing changed",
    ]);
  });
});
