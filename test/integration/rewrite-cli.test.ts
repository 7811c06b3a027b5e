import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvent } from '../../local/events';
import { ROOT, replay } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

// Every test here starts tsx or the emulator in a child process.
jest.setTimeout(CHILD_PROCESS_TIMEOUT);

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const INBOUND = loadEvent('inbound.json');
const PLAIN = join(ROOT, 'test', 'fixtures', 'plain-7bit.eml');

function rewriteCli(
  args: string[],
  input: string | Buffer,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      ['local/rewrite-cli.ts', ...args],
      { cwd: ROOT, encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(typeof input === 'string' ? readFileSync(input) : input);
  });
}

describe('npm run rewrite', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'rewrite-cli-'));
  });

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('writes the same bytes as replay for the same event, with no AWS client', async () => {
    const message = join(ROOT, 'events', 'messages', `${INBOUND.messageId}.eml`);
    expect((await replay('--out', out)).code).toBe(0);

    const { code, stdout, stderr } = await rewriteCli(
      [
        '--from',
        'alice@partner.example',
        '--to',
        'bob@corp.example',
        '--invocation-id',
        INBOUND.invocationId,
      ],
      message,
    );

    expect(code).toBe(0);
    expect(
      Buffer.from(stdout, 'latin1').equals(
        readFileSync(join(out, `${INBOUND.messageId}.rewritten.eml`)),
      ),
    ).toBe(true);
    expect(stderr).toContain('rules ["Warn about external senders"]');
  });

  it('applies the outbound rules when asked', async () => {
    const { stdout, stderr } = await rewriteCli(
      ['--direction', 'OUTBOUND', '--from', 'bob@corp.example', '--to', 'a@partner.example'],
      join(ROOT, 'test', 'fixtures', 'plain-7bit.eml'),
    );
    expect(stderr).toContain('rules ["Legal disclaimer on outgoing mail"]');
    expect(stdout).toContain('This message may contain confidential information.');
  });

  it('prints every option and an example with --help, and exits 0', async () => {
    const { code, stdout, stderr } = await rewriteCli(['--help'], PLAIN);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const option of [
      '--policy <file>',
      '--direction INBOUND|OUTBOUND',
      '--from <address>',
      '--to <address>',
      '--invocation-id <id>',
      '--out <file>',
      '--json',
      '--help',
    ]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/Examples:\n {2}npm run -s rewrite -- /);
  });

  it.each([
    ['an unknown option', ['--bogus'], /^rewrite: Unknown option '--bogus'.* \(see --help\)$/],
    [
      'a wrong direction',
      ['--direction', 'SIDEWAYS'],
      /^rewrite: --direction must be INBOUND or OUTBOUND$/,
    ],
    [
      'an invocation id that is no token',
      ['--invocation-id', '../x\r\nBcc: a@b.example'],
      /^rewrite: --invocation-id takes 1-120 letters, digits and hyphens$/,
    ],
    [
      '--json without --out',
      ['--json'],
      /^rewrite: --json prints the summary on stdout: give --out/,
    ],
    [
      'a policy file that does not exist',
      ['--policy', 'no-such.json'],
      /^rewrite: policy file no-such.json does not exist$/,
    ],
    ['a stray argument', ['in.eml'], /^rewrite: unexpected argument in.eml \(see --help\)$/],
  ])('fails with exit code 2 and one line on %s', async (_case, args, line) => {
    const { code, stdout, stderr } = await rewriteCli(args, PLAIN);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([expect.stringMatching(line), '']);
  });

  it('fails with exit code 1 and one line naming each problem of an invalid policy', async () => {
    const policy = join(out, 'invalid-policy.json');
    writeFileSync(policy, JSON.stringify({ organizationDomains: 'corp.example', rules: [{}] }));
    const { code, stdout, stderr } = await rewriteCli(['--policy', policy], PLAIN);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      new RegExp(
        `^rewrite: ${policy} is invalid: organizationDomains: [^\n]*; rules\\[0\\]\\.name: [^\n]*\n$`,
      ),
    );
  });

  it.each([
    ['an empty message', Buffer.alloc(0), 'declined-empty'],
    [
      'a multipart without its closing delimiter',
      Buffer.from(
        'From: a@partner.example\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n',
      ),
      'declined-missing-final-boundary',
    ],
  ])(
    'writes nothing when it declines %s: exit code 1, one line, no --out file',
    async (_case, input, reason) => {
      const target = join(out, `declined-${reason}.eml`);
      const toStdout = await rewriteCli([], input);
      const toFile = await rewriteCli(['--out', target], input);
      for (const result of [toStdout, toFile]) {
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(
          new RegExp(`^rewrite: the engine declines this message \\(${reason}\\): [^\n]+\n$`),
        );
      }
      expect(existsSync(target)).toBe(false);
    },
  );

  it('prints exactly one JSON object with --json and writes the message to --out', async () => {
    const target = join(out, 'json.eml');
    const { code, stdout, stderr } = await rewriteCli(['--json', '--out', target], PLAIN);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(stdout)).toEqual({
      policy: 'policy/policy.json',
      rules: ['Warn about external senders'],
      subject: 'tagged',
      parts: [{ part: expect.any(String), contentType: 'text/plain', added: ['banner'] }],
      bytesIn: readFileSync(PLAIN).length,
      bytesOut: readFileSync(target).length,
      out: target,
    });
    expect(readFileSync(target, 'latin1')).toMatch(/^Subject: \[EXTERNAL\] Lunch\?\r$/m);
  });
});
