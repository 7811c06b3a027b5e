import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { loadEvent } from '../../local/events';
import { multipart, part, withTopHeaders } from '../helpers/build-mime';
import { type Harness, startHarness } from '../helpers/rule-harness';
import { type WarningOutcome, warningOutcome } from '../helpers/warning-check';

const inbound = loadEvent('inbound.json');
const TAG = '[EXTERNAL]';
const FROM = 'From: Mallory <mallory@outside.example>';
const DATE = 'Date: Tue, 01 Dec 2026 10:00:00 +0000';
const HEAD = [FROM, 'To: bob@corp.example', 'Subject: Invoice', DATE, 'MIME-Version: 1.0'];
const text = (body: string, ...headers: string[]) =>
  part(['Content-Type: text/plain; charset=utf-8', ...headers], body);
const mail = (head: string[], content: Buffer) => withTopHeaders(head, content);
const without = (name: string) => HEAD.filter((line) => !line.startsWith(`${name}:`));

/**
 * Each way a sender (or a broken client) made the engine decline or WorkMail refuse the rewrite,
 * which delivered the original without any warning under the old fallback.
 */
const CASES: [string, () => Buffer, WarningOutcome][] = [
  [
    'no closing boundary',
    () => mail(HEAD, multipart('mixed', 'm', [text('Pay now')], [], { unclosed: true })),
    'repaired',
  ],
  [
    'a boundary two nested multiparts share',
    () =>
      mail(HEAD, multipart('mixed', 'same', [multipart('alternative', 'same', [text('Pay now')])])),
    'wrapped',
  ],
  ['a bare CR in the text', () => mail(HEAD, text('Pay\rnow')), 'repaired'],
  [
    'an attachment line over 998 octets',
    () =>
      mail(
        HEAD,
        multipart('mixed', 'm', [
          text('Pay now'),
          part(
            ['Content-Type: application/octet-stream', 'Content-Disposition: attachment'],
            'z'.repeat(5000),
          ),
        ]),
      ),
    'repaired',
  ],
  [
    'more than 1,000 parts',
    () =>
      mail(
        HEAD,
        multipart('mixed', 'm', [
          text('Pay now'),
          ...Array.from({ length: 1100 }, () => part(['Content-Type: text/x-pad'], 'x')),
        ]),
      ),
    'wrapped',
  ],
  [
    'padding that the banner pushes past 40 MiB',
    () =>
      mail(
        HEAD,
        multipart('mixed', 'm', [
          text('Pay now'),
          part(
            ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64'],
            `${'QUFB'.repeat(19)}\r\n`.repeat(Math.ceil((40 * 1024 * 1024) / 78)),
          ),
        ]),
      ),
    'junked',
  ],
  ['two Subject: headers', () => mail([...HEAD, 'Subject: Second'], text('Pay now')), 'wrapped'],
  [
    'two Message-ID: headers',
    () => mail([...HEAD, 'Message-ID: <a@x>', 'Message-ID: <b@x>'], text('Pay now')),
    'wrapped',
  ],
  ['no Date:', () => mail(without('Date'), text('Pay now')), 'repaired'],
  [
    'raw 8-bit bytes in a part declared 7bit',
    () =>
      mail(
        HEAD,
        multipart('mixed', 'm', [
          text('Pay now'),
          part(
            ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: 7bit'],
            'caf\xe9',
          ),
        ]),
      ),
    'repaired',
  ],
];

describe('the warning always arrives on mail from outside, through the handler', () => {
  let harness: Harness;
  let sequence = 0;

  beforeAll(async () => {
    harness = await startHarness({}, bundledPolicy(), { contentRules: 'assumed' });
  });

  afterAll(async () => {
    await harness.services.close();
  });

  it.each(CASES)('warns about a message with %s', async (_case, build, expected) => {
    const messageId = `arrives-${++sequence}`;
    harness.services.emulator.addMessage(messageId, build());
    const result = await harness.run({ ...inbound, messageId, invocationId: `${messageId}-i` });
    expect(warningOutcome(harness, messageId, result, TAG)).toBe(expected);
  });
});
