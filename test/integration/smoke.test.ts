import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { type Check, runSmoke, type SmokeClients, smokeClients } from '../../local/smoke';
import { AwsStandIn, type StandInAccount } from '../helpers/aws-stand-in';
import { shippedBucketPolicy, workMailKeyStatement } from '../helpers/bucket-policies';
import { ROOT } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const ORG = 'm-0123456789abcdef0123456789abcdef';
const FUNCTION = 'WorkMailRewriteRule-RewriteFunction-AbC123';
const ALIAS_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}:live`;
const BUCKET = 'workmailrewriterule-rewritemessagebucket-xyz';
const LOG_GROUP = 'WorkMailRewriteRule-RewriteLogs-Q1';
const MESSAGE_ID = 'd1234567-89ab-4cde-8f01-23456789abcd';

/** A healthy deployment, as the stack makes it. */
function healthyAccount(): StandInAccount {
  return {
    stacks: {
      WorkMailRewriteRule: {
        stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/WorkMailRewriteRule/1b2c`,
        outputs: { FunctionArn: ALIAS_ARN, BucketName: BUCKET },
      },
    },
    aliases: { [FUNCTION]: '7' },
    functionPolicies: {
      [`${FUNCTION}:live`]: {
        Version: '2012-10-17',
        Id: 'default',
        Statement: [
          {
            Sid: 'WorkMailInvoke',
            Effect: 'Allow',
            Principal: { Service: `workmail.${REGION}.amazonaws.com` },
            Action: 'lambda:InvokeFunction',
            Resource: ALIAS_ARN,
            Condition: {
              StringEquals: { 'AWS:SourceAccount': ACCOUNT },
              ArnLike: {
                'AWS:SourceArn': `arn:aws:workmail:${REGION}:${ACCOUNT}:organization/${ORG}`,
              },
            },
          },
        ],
      },
    },
    logGroups: { [FUNCTION]: LOG_GROUP },
    buckets: { [BUCKET]: { region: REGION, policy: bucketPolicy(ORG) } },
    keyPolicies: {},
    organizations: {
      [ORG]: {
        state: 'Active',
        alias: 'acme',
        eventLogGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/workmail/acme`,
      },
    },
    logLines: {
      [LOG_GROUP]: [
        JSON.stringify({ level: 'INFO', messageId: 'other-message', outcome: 'unchanged' }),
        JSON.stringify({
          level: 'INFO',
          messageId: MESSAGE_ID,
          outcome: 'rewritten',
          rules: ['Warn about external senders'],
        }),
      ],
    },
    denied: new Set(),
  };
}

function bucketPolicy(organizationId: string) {
  return shippedBucketPolicy({ bucket: BUCKET, region: REGION, account: ACCOUNT, organizationId });
}

const LOCAL_CREDENTIALS = { accessKeyId: 'stand-in', secretAccessKey: 'stand-in' };

describe('npm run smoke, against a local stand-in of the AWS APIs', () => {
  let standIn: AwsStandIn;
  let clients: SmokeClients;

  beforeEach(async () => {
    standIn = await AwsStandIn.start(healthyAccount());
    clients = smokeClients(REGION, { endpoint: standIn.endpoint, credentials: LOCAL_CREDENTIALS });
  });

  afterEach(async () => {
    for (const client of Object.values(clients)) client.destroy();
    await standIn.close();
  });

  const smoke = (messageId?: string) =>
    runSmoke(clients, {
      stackName: 'WorkMailRewriteRule',
      now: Date.now(),
      ...(messageId ? { messageId } : {}),
    });
  const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

  it('passes every check of a healthy deployment and reads the message outcome', async () => {
    // Act
    const checks = await smoke(MESSAGE_ID);
    // Assess
    expect(checks).toEqual([
      {
        status: 'ok',
        name: 'stack',
        detail: `WorkMailRewriteRule: function ${ALIAS_ARN}, bucket ${BUCKET}`,
      },
      { status: 'ok', name: 'alias', detail: 'live points at version 7' },
      {
        status: 'ok',
        name: 'invoke permission',
        detail: `workmail.${REGION}.amazonaws.com may invoke it for ${ORG}`,
      },
      { status: 'ok', name: 'organization', detail: `acme is Active in ${REGION}` },
      {
        status: 'ok',
        name: 'bucket policy',
        detail: `WorkMail of ${ORG} may read rewritten messages`,
      },
      { status: 'ok', name: 'bucket encryption', detail: 'AES256 (SSE-S3)' },
      {
        status: 'ok',
        name: 'event logging',
        detail: `events go to arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/workmail/acme`,
      },
      {
        status: 'ok',
        name: 'message outcome',
        detail: 'rewritten; rules: Warn about external senders',
      },
    ]);
  });

  it.each([
    ['DescribeStacks', 'stack', 'cloudformation:DescribeStacks on stack WorkMailRewriteRule'],
    ['GetAlias', 'alias', `lambda:GetAlias on function ${FUNCTION}`],
    ['GetPolicy', 'invoke permission', `lambda:GetPolicy on function ${FUNCTION}:live`],
    ['DescribeOrganization', 'organization', `workmail:DescribeOrganization on ${ORG}`],
    ['GetBucketLocation', 'bucket policy', `s3:GetBucketLocation on bucket ${BUCKET}`],
    ['GetBucketPolicy', 'bucket policy', `s3:GetBucketPolicy on bucket ${BUCKET}`],
    [
      'GetBucketEncryption',
      'bucket encryption',
      `s3:GetEncryptionConfiguration on bucket ${BUCKET}`,
    ],
    [
      'DescribeEmailMonitoringConfiguration',
      'event logging',
      `workmail:DescribeEmailMonitoringConfiguration on ${ORG}`,
    ],
    [
      'GetFunctionConfiguration',
      'message outcome',
      `lambda:GetFunctionConfiguration on function ${FUNCTION}`,
    ],
    ['FilterLogEvents', 'message outcome', `logs:FilterLogEvents on log group ${LOG_GROUP}`],
  ])(
    'names the missing permission when %s is denied, and runs the other checks',
    async (operation, check, permission) => {
      // Prepare
      standIn.account.denied.add(operation);
      // Act
      const checks = byName(await smoke(MESSAGE_ID));
      // Assess
      expect(checks[check]).toEqual({
        status: 'fail',
        name: check,
        detail: `your credentials lack ${permission}; grant it to run this check`,
      });
      const others = Object.values(checks).filter((c) => c.name !== check);
      expect(others.every((c) => c.status === 'ok')).toBe(true);
    },
  );

  it('says so once when the credentials themselves are refused', async () => {
    standIn.account.denied.add('credentials');
    expect(await smoke()).toEqual([
      {
        status: 'fail',
        name: 'stack',
        detail:
          'no valid AWS credentials (InvalidClientTokenId): sign in (aws sso login, a profile with AWS_PROFILE, or environment keys) and run again',
      },
    ]);
  });

  it('fails on a stack that is not there', async () => {
    const checks = await runSmoke(clients, { stackName: 'Elsewhere', now: Date.now() });
    expect(checks).toEqual([
      {
        status: 'fail',
        name: 'stack',
        detail: 'stack Elsewhere does not exist in this region (give --stack and --region)',
      },
    ]);
  });

  it('fails when the alias points at $LATEST', async () => {
    standIn.account.aliases[FUNCTION] = '$LATEST';
    expect(byName(await smoke()).alias).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('$LATEST'),
    });
  });

  it('fails when the invoke permission is gone, or names an organization of another region', async () => {
    const policies = standIn.account.functionPolicies;
    const original = policies[`${FUNCTION}:live`];
    delete policies[`${FUNCTION}:live`];
    expect(byName(await smoke())['invoke permission']).toMatchObject({
      status: 'fail',
      detail: 'the alias has no resource policy: WorkMail cannot invoke it (redeploy the stack)',
    });
    policies[`${FUNCTION}:live`] = JSON.parse(
      JSON.stringify(original).replaceAll(`workmail:${REGION}`, 'workmail:us-west-2'),
    );
    expect(byName(await smoke())['invoke permission']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'the permission is for an organization in us-west-2, the function is in eu-west-1',
      ),
    });
  });

  it('fails when the organization is not in the stack’s region', async () => {
    delete standIn.account.organizations[ORG];
    expect(byName(await smoke()).organization).toEqual({
      status: 'fail',
      name: 'organization',
      detail: `organization ${ORG} is not in ${REGION}: deploy the stack to the organization's region`,
    });
  });

  it('fails when the bucket policy names another organization, or there is none, or the bucket is elsewhere', async () => {
    const bucket = standIn.account.buckets[BUCKET] ?? { region: REGION };
    bucket.policy = bucketPolicy('m-ffffffffffffffffffffffffffffffff');
    expect(byName(await smoke())['bucket policy']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^WorkMail could not read rewritten messages: bucket policy: .*ArnLike aws:SourceArn/,
      ),
    });
    bucket.policy = undefined;
    expect(byName(await smoke())['bucket policy']).toMatchObject({
      status: 'fail',
      detail: `WorkMail could not read rewritten messages: bucket ${BUCKET} has no bucket policy for WorkMail`,
    });
    bucket.region = 'us-east-1';
    expect(byName(await smoke())['bucket policy']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        `bucket ${BUCKET} is in us-east-1, the organization in ${REGION}`,
      ),
    });
  });

  it('evaluates the key policy of an SSE-KMS bucket: a warning at best, a failure without the grant', async () => {
    // Prepare: the bucket under a customer managed key whose policy has the stack's statement
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`;
    const bucket = standIn.account.buckets[BUCKET];
    if (bucket) bucket.kmsKeyId = keyArn;
    const root = {
      Sid: 'Root',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    };
    const workMail = workMailKeyStatement({
      region: REGION,
      account: ACCOUNT,
      organizationId: ORG,
    });
    standIn.account.keyPolicies[keyArn] = { Statement: [root, workMail] };
    // Act, Assess: granted, yet unverified
    expect(byName(await smoke())['bucket encryption']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^SSE-KMS with .*lets WorkMail decrypt through S3; that WorkMail reads SSE-KMS objects is undocumented/,
      ),
    });
    // Without the grant
    standIn.account.keyPolicies[keyArn] = { Statement: [root] };
    expect(byName(await smoke())['bucket encryption']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        `WorkMail could not decrypt rewritten messages: key policy of ${keyArn}: no statement allows workmail.${REGION}.amazonaws.com kms:Decrypt`,
      ),
    });
    // Unreadable key policy
    standIn.account.denied.add('GetKeyPolicy');
    expect(byName(await smoke())['bucket encryption']).toMatchObject({
      status: 'fail',
      detail: `your credentials lack kms:GetKeyPolicy on key ${keyArn}; grant it to run this check`,
    });
  });

  it('warns when email event logging is off', async () => {
    const organization = standIn.account.organizations[ORG];
    if (organization) organization.eventLogGroupArn = undefined;
    expect(byName(await smoke())['event logging']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^off: /),
    });
  });

  it('fails on a message with no logged outcome, or one delivered unchanged after a failure', async () => {
    expect(
      byName(await smoke('e0000000-0000-4000-8000-000000000000'))['message outcome'],
    ).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        'no outcome logged for e0000000-0000-4000-8000-000000000000 in the last 24 hours',
      ),
    });
    standIn.account.logLines[LOG_GROUP]?.push(
      JSON.stringify({
        messageId: MESSAGE_ID,
        outcome: 'delivered-unchanged-after-failure',
        reason: 'invalid-content-location',
      }),
    );
    expect(byName(await smoke(MESSAGE_ID))['message outcome']).toEqual({
      status: 'fail',
      name: 'message outcome',
      detail: 'delivered-unchanged-after-failure (invalid-content-location)',
    });
  });

  it('fails on a messageId the Message Flow API would refuse', async () => {
    expect(byName(await smoke('Not An Id'))['message outcome']).toMatchObject({
      status: 'fail',
      detail: 'messageId must be 1-120 of a-z, 0-9 and -, got "Not An Id"',
    });
  });

  it(
    'runs from the command line: --help documents it, and a failed check exits 1',
    async () => {
      const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
      const run = (args: string[], env: Record<string, string>) =>
        new Promise<{ code: number; stdout: string }>((resolve) =>
          execFile(
            tsx,
            ['local/smoke-cli.ts', ...args],
            { cwd: ROOT, env: { ...process.env, ...env } },
            (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
          ),
        );
      const usage = await run(['--help'], {});
      expect(usage.code).toBe(0);
      expect(usage.stdout).toMatch(/^Usage: npm run smoke -- /);
      expect(usage.stdout).toContain('lambda:GetPolicy');
      standIn.account.denied.add('GetPolicy');
      const failed = await run(['--region', REGION, '--message-id', MESSAGE_ID], {
        AWS_ENDPOINT_URL: standIn.endpoint,
        AWS_ACCESS_KEY_ID: 'stand-in',
        AWS_SECRET_ACCESS_KEY: 'stand-in',
      });
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain(
        'FAIL  invoke permission: your credentials lack lambda:GetPolicy',
      );
      expect(failed.stdout).toContain('OK    message outcome: rewritten');
    },
    CHILD_PROCESS_TIMEOUT,
  );
});
