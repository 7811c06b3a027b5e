import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { sdkEnvironment, startLocalServices } from '../../local/local-services';
import { sharedBoundaryMessage } from '../helpers/build-mime';
import { topHeader } from '../helpers/mime';
import { ROOT, replay, replayCli, replayWithEnv } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

// Replay runs in this process, but for the two command-line runs; each starts the local services.
jest.setTimeout(CHILD_PROCESS_TIMEOUT);

const INBOUND_ID = '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5d';

/** A policy whose one rule, audit-only, would add a trial banner (and these actions). */
function auditPolicy(out: string, actions: Record<string, unknown> = {}): string {
  const policy = join(out, 'audit-policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      organizationDomains: ['corp.example'],
      rules: [
        {
          name: 'Banner trial',
          audit: true,
          when: { direction: 'INBOUND' },
          actions: { banner: { text: 'TRIAL BANNER' }, ...actions },
        },
      ],
    }),
  );
  return policy;
}

describe('npm run replay', () => {
  let out: string;

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'replay-'));
  });

  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('replays the saved inbound event through the real handler and writes both messages (the command)', async () => {
    const { code, stdout, stderr } = await replayCli('--out', out);

    expect(code).toBe(0);
    expect(stdout).toContain('Actions:\n  DEFAULT for all recipients');
    expect(stdout).toContain('~ Subject: Quarterly figures  ->  [EXTERNAL] Quarterly figures');
    expect(stdout).toContain('1 part(s) byte-identical');
    // The metrics the run would have sent to CloudWatch, as Lambda ships them: on stderr, with
    // the function's log line, so that stdout is the report alone.
    expect(stderr).toMatch(/"Namespace":"WorkMailRewriteRule".*"Outcome":"rewritten"/);
    expect(stdout).not.toContain('"Namespace"');
    const rewritten = readFileSync(join(out, `${INBOUND_ID}.rewritten.eml`));
    expect(topHeader(rewritten, 'Subject')).toBe('[EXTERNAL] Quarterly figures');
    const original = readFileSync(join(out, `${INBOUND_ID}.original.eml`));
    expect(
      original.equals(readFileSync(join(ROOT, 'events', 'messages', `${INBOUND_ID}.eml`))),
    ).toBe(true);
  });

  it('applies the default policy’s legal footer to the outbound event', async () => {
    const { code, stdout } = await replay('events/outbound.json', '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain('Outcome: rewritten');
    const rewritten = readFileSync(
      join(out, '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.rewritten.eml'),
      'utf8',
    );
    expect(rewritten).toContain('This message may contain confidential information.');
    expect(topHeader(Buffer.from(rewritten), 'Subject')).toBe('Re: Quarterly figures');
  });

  it('prints one JSON object for scripts with --json', async () => {
    const { code, stdout } = await replay('--json', '--out', out);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({
      actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }],
      outcome: { kind: 'rewritten', detail: 'rewritten' },
      rules: ['Warn about external senders'],
      files: {
        original: join(out, `${INBOUND_ID}.original.eml`),
        rewritten: join(out, `${INBOUND_ID}.rewritten.eml`),
      },
    });
  });

  it('uses the policy given with --policy, and says nothing was put when nothing changes', async () => {
    const policy = join(out, 'policy.json');
    writeFileSync(policy, JSON.stringify({ organizationDomains: ['corp.example'], rules: [] }));
    const { code, stdout } = await replay('--json', '--policy', policy, '--out', out);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary.outcome).toEqual({ kind: 'unchanged', detail: 'no-rule-applies' });
    expect(summary.files.rewritten).toBeUndefined();
  });

  it('fails with one line naming the problem for a bad policy', async () => {
    const policy = join(out, 'bad.json');
    writeFileSync(
      policy,
      JSON.stringify({
        organizationDomains: ['corp.example'],
        rules: [{ name: 'x', actions: { deliver: { action: 'JUNK' } } }],
      }),
    );
    const { code, stderr } = await replay('--policy', policy, '--out', out);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('rules[0].actions.deliver.action');
  });

  // The shipped policy's inbound warning fails closed: wrap, then junk.
  it.each([
    ['frozen', 'failed', 'junked-by-fallback', 'message-frozen'],
    ['rejected', 'rewritten', 'wrapped-by-fallback', 'message-rejected'],
    ['not-found', 'failed', 'junked-by-fallback', 'message-not-found'],
    [
      'throttled',
      'failed',
      'delivered-unchanged-after-failure',
      'the function threw ThrottlingException',
    ],
    ['slow', 'failed', 'junked-by-fallback', 'out-of-time'],
  ])(
    'shows the outcome of a service that answers %s',
    async (simulation, kind, detail, reason) => {
      const { code, stdout } = await replay('--json', '--simulate', simulation, '--out', out);
      expect(code).toBe(0);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
      expect(summary.outcome).toMatchObject({ kind, detail });
      expect(summary.outcome.reason).toContain(reason);
      if (kind === 'failed') expect(summary.files.rewritten).toBeUndefined();
    },
    30_000,
  );

  it.each([
    ['inbound.json', 'rewritten', ['Warn about external senders']],
    ['inbound-internal.json', 'unchanged', []],
    ['inbound-truncated-recipients.json', 'rewritten', ['Warn about external senders']],
    ['outbound.json', 'rewritten', ['Legal disclaimer on outgoing mail']],
    ['outbound-send-on-behalf.json', 'rewritten', ['Legal disclaimer on outgoing mail']],
  ])('replays the saved event %s', async (event, kind, rules) => {
    const { code, stdout } = await replay(`events/${event}`, '--json', '--out', out);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      outcome: { kind },
      rules,
    });
  });

  it('shows what audit-only rules would do, like a real run, and applies none of it', async () => {
    const policy = auditPolicy(out, { deliver: { action: 'MOVE_TO_JUNK' } });

    const { code, stdout } = await replay('--json', '--preview', '--policy', policy, '--out', out);

    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({
      outcome: { kind: 'unchanged', detail: 'unchanged' },
      actions: [{ action: { type: 'DEFAULT' }, allRecipients: true }],
      audit: {
        outcome: 'audit-would-rewrite',
        rules: ['Banner trial'],
        actions: [{ action: { type: 'MOVE_TO_JUNK' }, allRecipients: true }],
        changes: { changedParts: [{ part: '1.1', contentType: 'text/plain' }] },
      },
    });
    expect(summary.files.rewritten).toBeUndefined();
    const audited = readFileSync(summary.audit.files.rewritten).toString();
    expect(audited).toContain('TRIAL BANNER');
    expect(readFileSync(summary.audit.files.preview).toString()).toContain('TRIAL BANNER');

    const text = await replay('--policy', policy, '--out', out);
    expect(text.stdout).toMatch(
      /Audit-only rules \(not applied[^\n]*\n.*Banner trial\n.*\n {2}MOVE_TO_JUNK for all recipients\nOutcome: audit-would-rewrite\n/s,
    );
  });

  it('writes no audit message when the audit-only rules would fall back', async () => {
    const policy = auditPolicy(out);
    // A nested multipart that reuses its parent's boundary: the engine declines it for good.
    const message = join(out, 'shared-boundary.eml');
    writeFileSync(message, sharedBoundaryMessage());

    const { code, stdout } = await replay(
      '--json',
      '--policy',
      policy,
      '--message',
      message,
      '--out',
      out,
    );

    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary.audit).toMatchObject({ outcome: 'audit-would-fall-back', files: {} });
    expect(readdirSync(out).filter((name) => name.includes('.audit.'))).toEqual([]);
  });

  it('writes the side-by-side preview page with --preview and lists it in --json', async () => {
    const { code, stdout } = await replay('--preview', '--json', '--out', out);

    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary.files.preview).toBe(join(out, `${INBOUND_ID}.preview.html`));
    const page = readFileSync(summary.files.preview, 'utf8');
    expect(page).toContain('[EXTERNAL] Quarterly figures');
    expect(page.match(/<iframe sandbox=""/g)).toHaveLength(2);
  });

  it('--aws reads the message through the SDK’s own configuration and changes nothing there', async () => {
    // "AWS" here is the emulator and S3, reached as any AWS endpoint is: through the environment.
    const services = await startLocalServices();
    try {
      services.emulator.addMessage(
        INBOUND_ID,
        readFileSync(join(ROOT, 'events', 'messages', `${INBOUND_ID}.eml`)),
      );

      const { code, stdout } = await replayWithEnv(
        sdkEnvironment(services.overrides),
        '--aws',
        '--json',
        '--out',
        out,
      );

      expect(code).toBe(0);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
      expect(summary.outcome).toMatchObject({ kind: 'rewritten', detail: 'rewritten' });
      expect(topHeader(readFileSync(summary.files.rewritten), 'Subject')).toBe(
        '[EXTERNAL] Quarterly figures',
      );
      // Read-only: no Put, and nothing uploaded.
      expect(services.emulator.updates).toEqual([]);
      const listed = await services.clients.s3.send(
        new ListObjectsV2Command({ Bucket: services.bucket }),
      );
      expect(listed.KeyCount).toBe(0);
    } finally {
      await services.close();
    }
  });

  it('takes the message from --message', async () => {
    const { code, stdout } = await replay(
      '--message',
      join(ROOT, 'test', 'fixtures', 'plain-7bit.eml'),
      '--out',
      out,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('~ Subject: Lunch?  ->  [EXTERNAL] Lunch?');
  });

  it('names each repair it made', async () => {
    const unclosed = join(out, 'unclosed.eml');
    writeFileSync(
      unclosed,
      'From: a@partner.example\r\nSubject: cut\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n',
    );
    const { code, stdout } = await replay('--message', unclosed, '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain('Repaired:  part TEXT: closed-multipart (closing delimiter added)');
  });

  it.each([
    [
      'a missing event file',
      ['no-such-event.json'],
      'replay: event file no-such-event.json does not exist',
    ],
    [
      'an event without a message',
      ['EVENT_WITHOUT_MESSAGE'],
      `replay: message file ${join(ROOT, 'events', 'messages', '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5e.eml')} does not exist (give one with --message)`,
    ],
    [
      'a bundle folder that does not exist',
      ['--bundle', 'no-such-cdk.out'],
      'replay: no-such-cdk.out does not exist: run `npm run synth` first',
    ],
    [
      'an unknown simulation',
      ['--simulate', 'flood'],
      'replay: --simulate takes frozen, rejected, not-found, throttled, slow',
    ],
    [
      '--aws with --simulate',
      ['--aws', '--simulate', 'frozen'],
      'replay: --aws reads the message from AWS: no --bundle, --simulate or --message',
    ],
    [
      'a policy given with a bundle',
      ['--bundle', 'cdk.out', '--policy', 'policy/policy.json'],
      'replay: --policy cannot change a bundle: its policy was built into it',
    ],
    [
      'an unknown option',
      ['--previw'],
      expect.stringMatching(/^replay: Unknown option '--previw'.*\(see --help\)$/),
    ],
    ['two event files', ['a.json', 'b.json'], 'replay: give at most one event file'],
  ])('fails with exit code 2 and one line on %s', async (_case, args, line) => {
    const event = JSON.parse(readFileSync(join(ROOT, 'events', 'inbound.json'), 'utf8'));
    const paths: Record<string, string> = { EVENT_WITHOUT_MESSAGE: join(out, 'event.json') };
    writeFileSync(
      paths.EVENT_WITHOUT_MESSAGE ?? '',
      JSON.stringify({ ...event, messageId: '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5e' }),
    );

    const { code, stdout, stderr } = await replay(...args.map((a) => paths[a] ?? a), '--out', out);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([line, '']);
  });

  it.each([
    ['an event that is not JSON', '{ nope', /^replay: event file \S+ is not JSON: .+$/],
    [
      'an event that is no WorkMail event',
      JSON.stringify({ messageId: 'x', flowDirection: 'SIDEWAYS' }),
      /^replay: event file \S+ is not a WorkMail event: .*(summaryVersion|envelope|flowDirection).*$/,
    ],
    [
      'an event whose messageId would lead out of the out folder',
      'MESSAGE_ID_ESCAPE',
      /^replay: event file \S+: messageId "\.\.\/escape" cannot name a file \(letters, digits, \. _ - only, not first\)$/,
    ],
  ])('refuses %s with exit code 1 and one line, writing nothing', async (_case, content, line) => {
    const inner = join(out, 'inner');
    const event = JSON.parse(readFileSync(join(ROOT, 'events', 'inbound.json'), 'utf8'));
    const path = join(out, 'event.json');
    writeFileSync(
      path,
      content === 'MESSAGE_ID_ESCAPE'
        ? JSON.stringify({ ...event, messageId: '../escape' })
        : content,
    );

    const { code, stdout, stderr } = await replay(
      path,
      '--message',
      join(ROOT, 'events', 'messages', `${INBOUND_ID}.eml`),
      '--out',
      inner,
    );

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([expect.stringMatching(line), '']);
    expect(readdirSync(out)).toEqual(['event.json']);
  });

  it('prints every option and examples with --help, and exits 0', async () => {
    const { code, stdout, stderr } = await replayCli('--help');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const option of [
      '--message <file>',
      '--policy <file>',
      '--out <folder>',
      '--json',
      '--simulate frozen|rejected|not-found|throttled|slow',
      '--bundle <cdk.out>',
      '--preview',
      '--screenshot',
      '--aws',
      '--help',
    ]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/^Usage: npm run replay -- \[event\.json\] \[options\]\n/);
    expect(stdout).toContain('Examples:\n  npm run replay ');
  });

  it('says why nothing changed on an internal message', async () => {
    const { code, stdout } = await replay('events/inbound-internal.json', '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "  - Warn about external senders: does not apply\n      when direction: INBOUND: holds: the message is INBOUND\n      when sender: external: does not hold: internal: the From: domain corp.example is one of organizationDomains and the receiving service's DMARC check passed for it\n",
    );
    expect(stdout).toContain('Nothing changed: no rule of the policy applies (see why above)');
  });

  it('says what changed in each part and why, decodes the subject and lists the attachments', async () => {
    const { code, stdout } = await replay('--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'What changed and why:\n  Subject: tag put in front\n  X-Mail-Origin: set (a rule that applies sets it)\n  1.1 text/plain: banner added\n  1.2 text/html: banner added\n',
    );
    expect(stdout).toContain(
      'Subject (decoded): Quarterly figures  ->  [EXTERNAL] Quarterly figures',
    );
    expect(stdout).toContain('Attachments:\n  figures.pdf (application/pdf, 5136 bytes)\n');
  });

  it('shows the refusal text when WorkMail would refuse the rewritten message', async () => {
    const message = join(out, 'two-subjects.eml');
    writeFileSync(
      message,
      'From: a@partner.example\r\nDate: Mon, 1 Dec 2026 10:00:00 +0000\r\nSubject: one\r\nSubject: two\r\nContent-Type: text/plain\r\n\r\nhello\r\n',
    );
    const { code, stdout } = await replay('--message', message, '--json', '--out', out);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.outcome).toMatchObject({ reason: 'message-rejected' });
    expect(summary.explanation.refusal).toBe('Header subject may appear only once (assumed rule)');
    const text = await replay('--message', message, '--out', out);
    expect(text.stdout).toContain(
      'WorkMail would refuse the rewritten message: Header subject may appear only once (assumed rule)',
    );
  });

  it('prints exactly one JSON object on stdout with --json, the log lines on stderr (the command)', async () => {
    const { code, stdout, stderr } = await replayCli('--json', '--out', out);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.explanation.rules.map((r: { rule: string }) => r.rule)).toEqual([
      'Warn about external senders',
      'Legal disclaimer on outgoing mail',
    ]);
    expect(stderr).toMatch(/"outcome":"rewritten"/);
  });

  it.each([
    [
      'an empty region',
      { AWS_REGION: '', AWS_DEFAULT_REGION: '' },
      "replay: no valid AWS region: set AWS_REGION to the WorkMail organization's region (us-east-1, us-west-2 or eu-west-1)",
    ],
    [
      'no credentials',
      { AWS_REGION: 'eu-west-1' },
      'replay: no AWS credentials found: run aws configure (or aws sso login), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    ],
  ])('--aws with %s says what to set, in one line, exit code 1', async (_case, env, line) => {
    const { code, stdout, stderr } = await replayWithEnv(
      {
        // Nothing of this machine's own AWS setup may leak in.
        AWS_CONFIG_FILE: join(out, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(out, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        ...env,
      },
      '--aws',
      '--out',
      out,
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${line}\n`);
  });
});
