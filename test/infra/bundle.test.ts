import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENV } from '../../lambda/env-names';
import { synthStack } from '../helpers/synth';

const run = promisify(execFile);

describe('the function bundle', () => {
  // One real esbuild run (local binary, never Docker), shared by the tests below.
  const { app, stack } = synthStack({ region: 'eu-west-1', bundle: true });
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as {
    Resources: Record<
      string,
      { Type: string; Properties: { Runtime?: string; Code?: { S3Key?: string } } }
    >;
  };
  // The function's asset, not the one of CDK's own bucket auto-delete handler.
  const rewriteFunction = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs24.x',
  );
  const assetHash = rewriteFunction?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
  const bundle = join(assembly.directory, `asset.${assetHash}`, 'index.js');

  it('is one minified file with the AWS SDK and every other package inside', () => {
    const code = readFileSync(bundle, 'utf8');
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map(([, name]) => name ?? '');
    const packages = new Set(required.filter((name) => !isBuiltin(name)));
    // The SDK's optional SigV4a signer, loaded inside a try/catch; this function never needs it.
    expect([...packages]).toEqual(['@aws-sdk/signature-v4-crt']);
    expect(code).toContain('GetRawMessageContent');
  });

  it('loads on this machine’s Node.js and exports the handler', async () => {
    const { stdout } = await run(
      process.execPath,
      ['-e', `console.log(typeof require(${JSON.stringify(bundle)}).handler)`],
      {
        env: { ...process.env, [ENV.bucket]: 'bundle-test', AWS_REGION: 'eu-west-1' },
      },
    );
    expect(stdout.trim()).toBe('function');
  });

  it('fails its cold start with the configuration error when the bucket is missing', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'eu-west-1' };
    delete env[ENV.bucket];
    const failure = await run(process.execPath, ['-e', `require(${JSON.stringify(bundle)})`], {
      env,
    }).catch((error: { stderr: string }) => error);
    expect((failure as { stderr: string }).stderr).toContain(
      `environment variable ${ENV.bucket} is required`,
    );
  });
});
