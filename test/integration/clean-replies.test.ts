import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { parsePolicy } from '../../lambda/policy/load-policy';
import type { Policy } from '../../lambda/policy/schema';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { multipart, part, quotedPrintable } from '../helpers/build-mime';
import { leafParts, topHeader } from '../helpers/mime';
import { REPLY_FIXTURES, type ReplyFixture } from '../helpers/reply-fixtures';
import { type Harness, startHarness } from '../helpers/rule-harness';

const outbound = loadEvent('outbound.json');

/** The repository's policy with clean replies switched on, with or without its outbound rule. */
function policyWith(cleanReplies: boolean, keepOutboundRule = false): Policy {
  const policy = JSON.parse(JSON.stringify(bundledPolicy()));
  return parsePolicy(
    {
      ...policy,
      cleanReplies,
      rules: policy.rules.filter(
        (rule: { when?: { direction?: string } }) =>
          keepOutboundRule || rule.when?.direction !== 'OUTBOUND',
      ),
    },
    'test policy',
  );
}

/** The reply as the client sends it: its bodies quoted-printable UTF-8, the subject line as is. */
function replyMessage(fixture: ReplyFixture): Buffer {
  const body = (type: string, text: string) =>
    part(
      [
        `Content-Type: text/${type}; charset="utf-8"`,
        'Content-Transfer-Encoding: quoted-printable',
      ],
      `${quotedPrintable(Buffer.from(text, 'utf8'))}\r\n`,
    );
  const bodies = [
    ...(fixture.text ? [body('plain', fixture.text.withBanner)] : []),
    ...(fixture.html ? [body('html', fixture.html.withBanner)] : []),
  ];
  const head = [
    'From: Alex User <alex@corp.example>',
    "To: Pat O'Neil <pat@supplier.example>",
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    fixture.subject.line,
    'MIME-Version: 1.0',
  ];
  const content =
    bodies.length === 1 ? (bodies[0] as Buffer) : multipart('alternative', 'alt-1', bodies);
  return Buffer.concat([Buffer.from(head.map((h) => `${h}\r\n`).join(''), 'latin1'), content]);
}

function event(messageId: string): WorkMailRunLambdaEvent {
  return { ...structuredClone(outbound), messageId };
}

describe('clean replies, end to end', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.services.close();
  });

  it.each(REPLY_FIXTURES.map((f) => [`${f.client}, ${f.kind}`, f] as const))(
    '%s: the banner and the tag leave; every other word stays',
    async (_name, fixture) => {
      harness = await startHarness({}, policyWith(true));
      harness.services.emulator.addMessage('r-1', replyMessage(fixture));

      const result = await harness.run(event('r-1'));

      expect(result.outcome).toBe('rewritten');
      const sent = harness.services.emulator.message('r-1') ?? Buffer.alloc(0);
      expect(`Subject: ${topHeader(sent, 'Subject')}`).toBe(fixture.subject.cleaned);
      const leaves = await leafParts(sent);
      const decoded = (type: string) =>
        leaves.find((leaf) => leaf.contentType === `text/${type}`)?.decoded.toString('utf8');
      if (fixture.text) expect(decoded('plain')).toBe(`${fixture.text.withoutBanner}\r\n`);
      if (fixture.html) expect(decoded('html')).toBe(`${fixture.html.withoutBanner}\r\n`);
      const removed = result.report?.parts.reduce((sum, p) => sum + (p.removed ?? 0), 0);
      expect(removed).toBe((fixture.text?.banners ?? 0) + (fixture.html?.banners ?? 0));
    },
  );

  it('keeps the disclaimer rule working beside it', async () => {
    harness = await startHarness({}, policyWith(true, true));
    const fixture = REPLY_FIXTURES.find((f) => f.client === 'Gmail' && f.kind === 'reply');
    harness.services.emulator.addMessage('r-2', replyMessage(fixture as ReplyFixture));

    const result = await harness.run(event('r-2'));

    expect(result.report?.parts.map((p) => [p.added, p.removed])).toEqual([
      [['footer'], 1],
      [['footer'], 1],
    ]);
  });

  it('is off by default: a reply goes out as it was written, without even a Get', async () => {
    harness = await startHarness({}, policyWith(false));
    const fixture = REPLY_FIXTURES[0] as ReplyFixture;
    harness.services.emulator.addMessage('r-3', replyMessage(fixture));

    const result = await harness.run(event('r-3'));

    expect(result.outcome).toBe('no-rule-applies');
    expect(harness.services.emulator.updates).toHaveLength(0);
    expect(bundledPolicy().cleanReplies).toBe(false);
  });

  it('puts nothing when a reply quotes no banner', async () => {
    harness = await startHarness({}, policyWith(true));
    const fixture = REPLY_FIXTURES[0] as ReplyFixture;
    const clean = {
      ...fixture,
      subject: { line: 'Subject: RE: Quarterly figures', cleaned: '' },
      ...(fixture.html
        ? { html: { ...fixture.html, withBanner: fixture.html.withoutBanner } }
        : {}),
      ...(fixture.text
        ? { text: { ...fixture.text, withBanner: fixture.text.withoutBanner } }
        : {}),
    };
    harness.services.emulator.addMessage('r-4', replyMessage(clean));

    const result = await harness.run(event('r-4'));

    expect(result.outcome).toBe('unchanged');
    expect(harness.services.emulator.updates).toHaveLength(0);
  });
});
