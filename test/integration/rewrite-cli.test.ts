import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvent } from '../../local/events';
import { ROOT, replay } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

// Every test here starts tsx or the emulator in a child process.
jest.setTimeout(CHILD_PROCESS_TIMEOUT);

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const INBOUND = loadEvent('inbound.json');

function rewriteCli(
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      ['local/rewrite-cli.ts', ...args],
      { cwd: ROOT, encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(readFileSync(input));
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

  it('fails with one line on a wrong direction', async () => {
    const { code, stderr } = await rewriteCli(
      ['--direction', 'SIDEWAYS'],
      join(ROOT, 'test', 'fixtures', 'plain-7bit.eml'),
    );
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('rewrite: --direction must be INBOUND or OUTBOUND');
  });
});
