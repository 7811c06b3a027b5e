import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { WorkMailRewriteFunction } from '../../infra/workmail-rewrite-function';
import { readConfig } from '../../lambda/config';
import { ENV } from '../../lambda/env-names';
import { ACCOUNT, ORG_ID, synthStack } from '../helpers/synth';

const REGION = 'eu-west-1';
const MESSAGES = `arn:aws:workmailmessageflow:${REGION}:${ACCOUNT}:message/${ORG_ID}/*`;

function resourcesOfType(
  template: ReturnType<ReturnType<typeof synthStack>['template']>,
  type: string,
) {
  return Object.values(template.findResources(type)) as { Properties: Record<string, unknown> }[];
}

function bucketObjects(prefix: string) {
  return {
    'Fn::Join': [
      '',
      [{ 'Fn::GetAtt': [Match.stringLikeRegexp('MessageBucket'), 'Arn'] }, `/${prefix}`],
    ],
  };
}

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
    const role = template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('WorkMail rewrite rule') },
    });
    const roleId = Object.keys(role)[0];
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
          .PolicyDocument.Statement,
    );
    expect(statements).toEqual([
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
      {
        Sid: 'StoreRewrittenMessages',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: {
          'Fn::Join': [
            '',
            [
              { 'Fn::GetAtt': [expect.stringMatching(/^RewriteMessageBucket/), 'Arn'] },
              '/rewritten/*',
            ],
          ],
        },
      },
    ]);
    expect(role[roleId ?? '']?.Properties.ManagedPolicyArns).toBeUndefined();
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
    const [fn] = resourcesOfType(template, 'AWS::Lambda::Function').filter(
      (f) => (f.Properties.Runtime as string) === 'nodejs24.x',
    );
    const environment = fn?.Properties.Environment as { Variables: Record<string, unknown> };
    const variables = environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([ENV.bucket, ENV.keyPrefix].sort());
    expect(variables[ENV.bucket]).toEqual({ Ref: expect.stringMatching(/^RewriteMessageBucket/) });
    // The handler accepts it, and stores under the prefix the IAM and bucket policies name.
    const config = readConfig({
      ...variables,
      [ENV.bucket]: 'generated-bucket-name',
    } as NodeJS.ProcessEnv);
    expect(config.keyPrefix).toBe('rewritten/');
  });

  it('outputs the function, the bucket and the console step', () => {
    template.hasOutput('FunctionArn', {});
    template.hasOutput('BucketName', {});
    template.hasOutput('NextStep', { Value: Match.stringLikeRegexp('Run synchronously') });
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
  it('report nothing unacknowledged', () => {
    const { app } = synthStack({ region: REGION, nag: true });
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
