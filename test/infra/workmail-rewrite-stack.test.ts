import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { MAX_KEEP_DAYS, WorkMailRewriteFunction } from '../../infra/workmail-rewrite-function';
import { readConfig } from '../../lambda/config';
import { ENV } from '../../lambda/env-names';
import { PolicyError } from '../../lambda/policy/load-policy';
import { ACCOUNT, ORG_ID, synthStack } from '../helpers/synth';

const REGION = 'eu-west-1';
const MESSAGES = `arn:aws:workmailmessageflow:${REGION}:${ACCOUNT}:message/${ORG_ID}/*`;

type SynthTemplate = ReturnType<ReturnType<typeof synthStack>['template']>;

function resourcesOfType(template: SynthTemplate, type: string) {
  return Object.values(template.findResources(type)) as { Properties: Record<string, unknown> }[];
}

/** The function role's statements, in order, and its role (to check for managed policies). */
function roleStatements(template: SynthTemplate) {
  const role = template.findResources('AWS::IAM::Role', {
    Properties: { Description: Match.stringLikeRegexp('WorkMail rewrite rule') },
  });
  const roleId = Object.keys(role)[0];
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  const statements = Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
        .Statement,
  );
  return { statements, role: role[roleId ?? ''] };
}

/** The rule function's environment variables (CDK's helper functions have none). */
function functionVariables(template: SynthTemplate): Record<string, unknown> {
  const [fn] = resourcesOfType(template, 'AWS::Lambda::Function').filter(
    (f) => (f.Properties.Runtime as string) === 'nodejs24.x',
  );
  const environment = fn?.Properties.Environment as { Variables: Record<string, unknown> };
  return environment.Variables;
}

/** What the function's role may do with its logs and the organization's messages. */
const LOG_AND_MESSAGE_STATEMENTS = [
  {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RewriteLogs/), 'Arn'] },
  },
  {
    Sid: 'ReadAndReplaceOrganizationMessages',
    Effect: 'Allow',
    Action: [
      'workmailmessageflow:GetRawMessageContent',
      'workmailmessageflow:PutRawMessageContent',
    ],
    Resource: MESSAGES,
  },
];

/** Exactly PutObject and AbortMultipartUpload under `rewritten/` of one bucket. */
function storeStatement(sid: string, bucketLogicalId: RegExp) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
    Resource: {
      'Fn::Join': [
        '',
        [{ 'Fn::GetAtt': [expect.stringMatching(bucketLogicalId), 'Arn'] }, '/rewritten/*'],
      ],
    },
  };
}

function bucketObjects(prefix: string) {
  return {
    'Fn::Join': [
      '',
      [{ 'Fn::GetAtt': [Match.stringLikeRegexp('MessageBucket'), 'Arn'] }, `/${prefix}`],
    ],
  };
}

/** What both buckets share: S3-managed encryption, and no public access of any kind. */
const PRIVATE_AND_ENCRYPTED = {
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ],
  },
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
};

describe('WorkMailRewriteStack', () => {
  const template = synthStack({ region: REGION }).template();

  it('lets only the organization invoke the function', () => {
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: `workmail.${REGION}.amazonaws.com`,
      SourceArn: `arn:aws:workmail:${REGION}:${ACCOUNT}:organization/${ORG_ID}`,
      SourceAccount: ACCOUNT,
    });
  });

  it('gives the function exactly its three permissions, on named resources only', () => {
    const { statements, role } = roleStatements(template);
    expect(statements).toEqual([
      ...LOG_AND_MESSAGE_STATEMENTS,
      storeStatement('StoreRewrittenMessages', /^RewriteMessageBucket/),
    ]);
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets only WorkMail, for this account and organization, read rewritten messages', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'WorkMailReadsRewrittenMessages',
            Effect: 'Allow',
            Principal: { Service: `workmail.${REGION}.amazonaws.com` },
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Resource: bucketObjects('rewritten/*'),
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': MESSAGES },
              Bool: { 'aws:SecureTransport': 'true' },
            },
          },
        ]),
      },
    });
  });

  it('never grants an action on every resource', () => {
    const documents = [
      ...resourcesOfType(template, 'AWS::IAM::Policy').map((p) => p.Properties.PolicyDocument),
      ...resourcesOfType(template, 'AWS::S3::BucketPolicy').map((p) => p.Properties.PolicyDocument),
    ] as { Statement: { Effect: string; Resource: unknown }[] }[];
    const allows = documents.flatMap((d) => d.Statement).filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const statement of allows) {
      expect([statement.Resource].flat()).not.toContain('*');
    }
  });

  it('keeps the bucket private, encrypted with S3 keys, and empties it after a day', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...PRIVATE_AND_ENCRYPTED,
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireRewrittenMessages',
            Status: 'Enabled',
            ExpirationInDays: 1,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
      VersioningConfiguration: Match.absent(),
    });
  });

  it('deletes the bucket, its objects and the logs with the stack', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it('runs a current Node.js on arm64 within WorkMail’s 15-second limit, with kept logs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 12,
      MemorySize: 512,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^RewriteLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gives the function exactly the environment the handler reads', () => {
    const variables = functionVariables(template);
    expect(Object.keys(variables).sort()).toEqual([ENV.bucket, ENV.keyPrefix].sort());
    expect(variables[ENV.bucket]).toEqual({ Ref: expect.stringMatching(/^RewriteMessageBucket/) });
    // The handler accepts it, and stores under the prefix the IAM and bucket policies name.
    const config = readConfig({
      ...variables,
      [ENV.bucket]: 'generated-bucket-name',
    } as NodeJS.ProcessEnv);
    expect(config.keyPrefix).toBe('rewritten/');
  });

  it('outputs the function, the bucket and the console steps for both rules the shipped policy needs', () => {
    template.hasOutput('FunctionArn', {});
    template.hasOutput('BucketName', {});
    template.hasOutput('NextStep', {
      Value: Match.stringLikeRegexp(
        '"Inbound rules" and "Outbound rules" > Create \\(your policy needs two rules.*Run synchronously',
      ),
    });
  });

  it('keeps no originals unless asked: one bucket, no variable, no output', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/Original/);
    expect(functionVariables(template)).not.toHaveProperty(ENV.originalBucket);
  });
});

describe('WorkMailRewriteStack keeping originals', () => {
  const template = synthStack({ region: REGION, keepOriginalDays: 7 }).template();
  const originals = template.findResources('AWS::S3::Bucket', {
    Properties: { LifecycleConfiguration: { Rules: [{ Id: 'ExpireOriginalMessages' }] } },
  });
  const originalsId = Object.keys(originals)[0] ?? '';

  it('adds a second bucket, private, encrypted with S3 keys, emptied after keepOriginalDays', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    expect(originalsId).toMatch(/^RewriteOriginalBucket/);
    expect(originals[originalsId]).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: {
        ...PRIVATE_AND_ENCRYPTED,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'ExpireOriginalMessages',
              Status: 'Enabled',
              ExpirationInDays: 7,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      },
    });
    expect(originals[originalsId]?.Properties.VersioningConfiguration).toBeUndefined();
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });

  it('refuses plain HTTP to the originals and lets WorkMail read none of them', () => {
    const [policy] = Object.values(
      template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: originalsId } },
      }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    const statements = policy?.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(JSON.stringify(statements)).not.toContain('workmail');
  });

  it('lets the function only write originals, under the same prefix, besides its three permissions', () => {
    expect(roleStatements(template).statements).toEqual([
      ...LOG_AND_MESSAGE_STATEMENTS,
      storeStatement('StoreRewrittenMessages', /^RewriteMessageBucket/),
      storeStatement('KeepOriginalMessages', /^RewriteOriginalBucket/),
    ]);
  });

  it('tells the function where to keep them, in a variable the handler accepts', () => {
    const variables = functionVariables(template);
    expect(Object.keys(variables).sort()).toEqual(
      [ENV.bucket, ENV.keyPrefix, ENV.originalBucket].sort(),
    );
    expect(variables[ENV.originalBucket]).toEqual({ Ref: originalsId });
    const config = readConfig({
      ...variables,
      [ENV.bucket]: 'generated-bucket-name',
      [ENV.originalBucket]: 'generated-originals-name',
    } as NodeJS.ProcessEnv);
    expect(config.originalBucket).toBe('generated-originals-name');
  });

  it('outputs the originals bucket', () => {
    template.hasOutput('OriginalBucketName', {
      Value: { Ref: originalsId },
      Description: Match.stringLikeRegexp('for 7 days'),
    });
  });

  it('fails on a number of days outside 1 to 365', () => {
    for (const days of [0, MAX_KEEP_DAYS + 1, 1.5]) {
      expect(
        () =>
          new WorkMailRewriteFunction(new Stack(), 'Rewrite', {
            organizationId: ORG_ID,
            keepOriginalDays: days,
          }),
      ).toThrow(`keepOriginalDays must be a whole number of days from 1 to 365, got ${days}`);
    }
  });
});

describe('WorkMailRewriteStack deployment settings', () => {
  it('synthesizes without a known account or region', () => {
    const template = synthStack().template();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: { 'Fn::Join': ['', ['workmail.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
    });
  });

  it('uses the bucket name it is given', () => {
    synthStack({ region: REGION, bucketName: 'acme-mail-rewrite' })
      .template()
      .hasResourceProperties('AWS::S3::Bucket', { BucketName: 'acme-mail-rewrite' });
  });

  it('warns about a region where WorkMail does not run', () => {
    const { stack } = synthStack({ region: 'ap-southeast-2' });
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('WorkMail runs in us-east-1'),
    );
  });

  it('does not warn in a WorkMail region', () => {
    const { stack } = synthStack({ region: REGION });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  it('fails on an organization id or bucket name that WorkMail would refuse', () => {
    expect(() => synthStack({ bucketName: 'acme.mail' })).toThrow(/^bucketName must be .*no dots/);
    expect(
      () => new WorkMailRewriteFunction(new Stack(), 'Rewrite', { organizationId: 'm-ABC' }),
    ).toThrow('organizationId must be m- followed by 32 lower-case hex digits, got "m-ABC"');
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  it.each([{}, { keepOriginalDays: 30 }])('report nothing unacknowledged (%o)', (options) => {
    const { app } = synthStack({ region: REGION, nag: true, ...options });
    expect(() => app.synth()).not.toThrow();
  });

  it('report a wildcard that nobody acknowledged', () => {
    const { app, stack } = synthStack({ region: REGION, nag: true });
    stack.rewrite.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [stack.rewrite.bucket.arnForObjects('*')],
      }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});

describe('WorkMailRewriteStack with a policy file of the company', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'policy-file-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function policyFileWith(name: string, policy: unknown): string {
    const path = join(folder, name);
    writeFileSync(path, typeof policy === 'string' ? policy : JSON.stringify(policy));
    return path;
  }

  const inboundOnly = {
    organizationDomains: ['acme.example'],
    rules: [
      {
        name: 'Tag outside mail',
        when: { direction: 'INBOUND', sender: 'external' },
        actions: { subjectTag: '[OUTSIDE]' },
      },
    ],
  };

  it('names only the inbound rule when the policy has only inbound rules', () => {
    const { template } = synthStack({ policyFile: policyFileWith('inbound.json', inboundOnly) });
    const value = template().findOutputs('NextStep').NextStep?.Value as string;
    expect(value).toMatch(
      /Organization settings > "Inbound rules" > Create \(your policy needs one rule/,
    );
    expect(value).not.toMatch(/Outbound/);
  });

  it('names the outbound rule for clean replies, and both for a rule without a direction', () => {
    const cleanReplies = policyFileWith('clean.json', { ...inboundOnly, cleanReplies: true });
    const anyDirection = policyFileWith('any.json', {
      organizationDomains: ['acme.example'],
      rules: [{ name: 'Mark', actions: { headers: { 'X-Scanned': 'yes' } } }],
    });
    const nextStep = (path: string) =>
      synthStack({ policyFile: path }).template().findOutputs('NextStep').NextStep?.Value;
    expect(nextStep(cleanReplies)).toMatch(/"Inbound rules" and "Outbound rules"/);
    expect(nextStep(anyDirection)).toMatch(/"Inbound rules" and "Outbound rules"/);
  });

  it('fails the synth naming the file and the invalid field', () => {
    const path = policyFileWith('bad.json', { ...inboundOnly, rules: [{ name: 'No actions' }] });
    expect(() => synthStack({ policyFile: path })).toThrow(PolicyError);
    expect(() => synthStack({ policyFile: path })).toThrow(
      `${path} is invalid:\n  rules[0].actions:`,
    );
  });

  it('fails the synth on a missing file or one that is not JSON, naming it', () => {
    const missing = join(folder, 'missing.json');
    expect(() => synthStack({ policyFile: missing })).toThrow(
      `policy file ${missing} does not exist`,
    );
    const notJson = policyFileWith('not-json.json', '{ "rules": [');
    expect(() => synthStack({ policyFile: notJson })).toThrow(
      new RegExp(`^policy file ${notJson} cannot be read as JSON: `),
    );
  });
});
