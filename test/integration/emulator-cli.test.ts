import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  GetRawMessageContentCommand,
  WorkMailMessageFlowClient,
} from '@aws-sdk/client-workmailmessageflow';
import { ROOT } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

// Every test here starts tsx or the emulator in a child process.
jest.setTimeout(CHILD_PROCESS_TIMEOUT);

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);

/** Runs `npm run emulator -- <args>` for a command that ends by itself (help, errors). */
async function emulatorCli(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(TSX, ['local/emulator-cli.ts', ...args], { cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('npm run emulator', () => {
  it('serves the saved messages to any SDK pointed at the printed environment, until stopped', async () => {
    // Arrange
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/emulator-cli.ts'], {
      cwd: ROOT,
    });
    const printed = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (data: Buffer) => {
        text += data.toString();
        if (text.includes('Press Ctrl+C')) resolve(text);
      });
      child.once('exit', () => reject(new Error(`the emulator ended early: ${text}`)));
    });
    const env = Object.fromEntries(
      [...printed.matchAll(/^export (\w+)=(.*)$/gm)].map(([, k, v]) => [k, v]),
    );

    // Act
    const client = new WorkMailMessageFlowClient({
      endpoint: env.AWS_ENDPOINT_URL_WORKMAILMESSAGEFLOW,
      region: env.AWS_REGION,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      },
    });
    const output = await client.send(
      new GetRawMessageContentCommand({ messageId: '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5d' }),
    );
    const body = Buffer.from((await output.messageContent?.transformToByteArray()) ?? []);
    client.destroy();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');

    // Assert
    expect(body.toString()).toContain('Subject: Quarterly figures');
    expect(Object.keys(env).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_WORKMAILMESSAGEFLOW',
      'AWS_REGION',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    expect(await exited).toBe(0);
  });

  it('prints every option and an example with --help, and exits 0', async () => {
    const { code, stdout, stderr } = await emulatorCli('--help');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const option of ['--port <n>', '--messages <folder>', '--json', '--help']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/Examples:\n {2}npm run emulator\n/);
  });

  it.each([
    [
      'a messages folder that does not exist',
      ['--messages', 'no-such-folder'],
      'emulator: --messages no-such-folder does not exist',
    ],
    [
      'a port that is no number',
      ['--port', '40x'],
      'emulator: --port must be a number from 1 to 65534, got "40x"',
    ],
    [
      'an unknown option',
      ['--mesages', 'x'],
      expect.stringMatching(/^emulator: Unknown option '--mesages'.*\(see --help\)$/),
    ],
  ])('fails at once with exit code 2 and one line on %s', async (_case, args, line) => {
    const { code, stdout, stderr } = await emulatorCli(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([line, '']);
  });

  it('fails with exit code 2 and one line when a port it needs is in use', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    try {
      // The first port it needs is the taken one (the one below it might be taken by anyone).
      const { code, stderr } = await emulatorCli('--port', String(port));
      expect(code).toBe(2);
      expect(stderr).toBe(`emulator: port ${port} is in use: choose another with --port\n`);
    } finally {
      busy.close();
    }
  });

  it('prints one JSON object with --json, and skips a file whose name is no message id, saying so', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'emulator-messages-'));
    const child = spawn(TSX, ['local/emulator-cli.ts', '--json', '--messages', folder], {
      cwd: ROOT,
    });
    try {
      const saved = join(ROOT, 'events', 'messages', '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5d.eml');
      copyFileSync(saved, join(folder, 'good-id-1.eml'));
      writeFileSync(join(folder, 'Not An Id.eml'), 'Subject: x\r\n\r\nx\r\n');
      const output = { stdout: '', stderr: '' };
      child.stdout.on('data', (data: Buffer) => {
        output.stdout += data.toString();
      });
      child.stderr.on('data', (data: Buffer) => {
        output.stderr += data.toString();
      });
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', () => {
          if (output.stderr.includes('emulator: running')) resolve();
        });
        child.once('exit', () => reject(new Error(`the emulator ended early: ${output.stderr}`)));
      });

      const summary = JSON.parse(output.stdout);
      expect(output.stdout.endsWith('}\n')).toBe(true);
      expect(summary.messages).toEqual(['good-id-1']);
      expect(summary.environment.AWS_DEFAULT_REGION).toBe(summary.environment.AWS_REGION);
      expect(output.stderr).toBe(
        'emulator: skipped Not An Id.eml: a message id here is 1-120 letters, digits, . _ - (not first)\n' +
          'emulator: running; stop it with Ctrl+C\n',
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
