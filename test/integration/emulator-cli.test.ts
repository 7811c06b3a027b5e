import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  GetRawMessageContentCommand,
  WorkMailMessageFlowClient,
} from '@aws-sdk/client-workmailmessageflow';
import { ROOT } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

// Every test here starts tsx or the emulator in a child process.
jest.setTimeout(CHILD_PROCESS_TIMEOUT);

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
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_WORKMAILMESSAGEFLOW',
      'AWS_REGION',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    expect(await exited).toBe(0);
  });
});
