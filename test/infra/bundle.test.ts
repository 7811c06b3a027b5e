import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENV } from '../../lambda/env-names';
import { replay } from '../helpers/replay-cli';
import { ORG_ID, synthStack } from '../helpers/synth';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

const INBOUND_ID = '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5d';
const OTHER_ORG = 'm-ffffffffffffffffffffffffffffffff';

const run = promisify(execFile);

/** One real esbuild run (local binary, never Docker): the assembly and the function's bundle. */
function synthBundle(policyFile?: string) {
  const { app, stack } = synthStack({
    region: 'eu-west-1',
    bundle: true,
    ...(policyFile ? { policyFile } : {}),
  });
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
  return {
    assembly,
    stack,
    bundle: join(assembly.directory, `asset.${assetHash}`, 'index.js'),
  };
}

describe('the function bundle', () => {
  const { assembly, stack, bundle } = synthBundle();

  it('is one minified file with the AWS SDK and every other package inside', () => {
    const code = readFileSync(bundle, 'utf8');
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map(([, name]) => name ?? '');
    const packages = new Set(required.filter((name) => !isBuiltin(name)));
    // The SDK's optional SigV4a signer, loaded inside a try/catch; this function never needs it.
    expect([...packages]).toEqual(['@aws-sdk/signature-v4-crt']);
    expect(code).toContain('GetRawMessageContent');
  });

  it(
    'loads on this machine’s Node.js and exports the handler',
    async () => {
      const { stdout } = await run(
        process.execPath,
        ['-e', `console.log(typeof require(${JSON.stringify(bundle)}).handler)`],
        {
          env: { ...process.env, [ENV.bucket]: 'bundle-test', AWS_REGION: 'eu-west-1' },
        },
      );
      expect(stdout.trim()).toBe('function');
    },
    CHILD_PROCESS_TIMEOUT,
  );

  it(
    'replays an event through the bundle, in a child process with the stack’s environment, with the same result as the sources',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bundle-replay-'));
      try {
        const fromBundle = await replay('--bundle', assembly.directory, '--json', '--out', out);
        const bundled = readFileSync(join(out, `${INBOUND_ID}.rewritten.eml`));
        const fromSources = await replay('--json', '--out', out);
        const summary = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');

        expect(fromBundle.code).toBe(0);
        expect(summary(fromBundle.stdout)).toMatchObject({
          outcome: { kind: 'rewritten', detail: 'rewritten' },
          rules: ['Warn about external senders'],
        });
        expect(summary(fromBundle.stdout).actions).toEqual(summary(fromSources.stdout).actions);
        expect(bundled.equals(readFileSync(join(out, `${INBOUND_ID}.rewritten.eml`)))).toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    CHILD_PROCESS_TIMEOUT,
  );

  // Own errors are classified by type and code: the minified bundle renames their classes.
  it.each([
    [
      'a message whose nested multipart reuses its boundary',
      ['--message', 'SHARED'],
      'declined-ambiguous-boundary',
    ],
    ['a Put the service refuses', ['--simulate', 'rejected'], 'message-rejected'],
    ['a Get that stays throttled', ['--simulate', 'throttled'], 'ThrottlingException'],
  ])(
    'ends %s with the same outcome and reason as the sources',
    async (_case, args, reason) => {
      const out = mkdtempSync(join(tmpdir(), 'bundle-failure-'));
      try {
        const shared = join(out, 'shared.eml');
        writeFileSync(
          shared,
          'From: a@example.com\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n',
        );
        const withMessage = args.map((arg) => (arg === 'SHARED' ? shared : arg));
        const outcome = (stdout: string) =>
          JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}').outcome;
        const fromBundle = await replay(
          '--bundle',
          assembly.directory,
          '--json',
          '--out',
          out,
          ...withMessage,
        );
        const fromSources = await replay('--json', '--out', out, ...withMessage);

        expect(fromBundle.code).toBe(0);
        expect(outcome(fromBundle.stdout).reason).toContain(reason);
        expect(outcome(fromBundle.stdout)).toEqual(outcome(fromSources.stdout));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    CHILD_PROCESS_TIMEOUT,
  );

  it(
    'gives InvalidContentLocation when the synthesized bucket policy names another organization',
    async () => {
      // Prepare: the same assembly, its bucket policy pointing at another organization's messages
      const copy = mkdtempSync(join(tmpdir(), 'bundle-other-org-'));
      const out = join(copy, 'out');
      try {
        cpSync(assembly.directory, copy, { recursive: true });
        const templateFile = join(copy, assembly.getStackArtifact(stack.artifactId).templateFile);
        const text = readFileSync(templateFile, 'utf8');
        expect(text).toContain(`:message/${ORG_ID}/*`);
        writeFileSync(
          templateFile,
          text.split(`:message/${ORG_ID}/*`).join(`:message/${OTHER_ORG}/*`),
        );
        // Act
        const { code, stdout } = await replay('--bundle', copy, '--json', '--out', out);
        // Assess
        const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
        expect(code).toBe(0);
        // The shipped inbound warning fails closed: a deployment fault junks rather than
        // delivering mail from outside without its warning.
        expect(summary.outcome).toEqual({
          kind: 'failed',
          detail: 'junked-by-fallback',
          reason: 'invalid-content-location',
        });
        expect(summary.accessDenial).toContain('ArnLike aws:SourceArn');
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    },
    CHILD_PROCESS_TIMEOUT,
  );

  it(
    'fails its cold start with the configuration error when the bucket is missing',
    async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'eu-west-1' };
      delete env[ENV.bucket];
      const failure = await run(process.execPath, ['-e', `require(${JSON.stringify(bundle)})`], {
        env,
      }).catch((error: { stderr: string }) => error);
      expect((failure as { stderr: string }).stderr).toContain(
        `environment variable ${ENV.bucket} is required`,
      );
    },
    CHILD_PROCESS_TIMEOUT,
  );
});

describe('the function bundle built with -c policyFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'company-policy-'));
  const policyFile = join(folder, 'company.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      organizationDomains: ['corp.example'],
      rules: [
        {
          name: 'Company tag',
          when: { direction: 'INBOUND', sender: 'external' },
          actions: { subjectTag: '[ACME OUTSIDE]' },
        },
      ],
    }),
  );
  const { assembly, bundle } = synthBundle(policyFile);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('carries the company policy instead of the repository’s', () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code).toContain('[ACME OUTSIDE]');
  });

  it(
    'applies the company policy when replayed',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bundle-replay-'));
      try {
        const result = await replay('--bundle', assembly.directory, '--json', '--out', out);
        expect(result.code).toBe(0);
        const rewritten = readFileSync(join(out, `${INBOUND_ID}.rewritten.eml`), 'latin1');
        expect(rewritten).toMatch(/^Subject: \[ACME OUTSIDE\] Quarterly figures\r$/m);
        expect(rewritten).not.toContain('CAUTION');
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    CHILD_PROCESS_TIMEOUT,
  );
});
