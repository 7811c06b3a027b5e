import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { WorkMailRewriteFunction } from '../../infra/workmail-rewrite-function';
import { workMailKeyStatement } from '../helpers/bucket-policies';
import { ACCOUNT, ORG_ID, synthStack } from '../helpers/synth';

const REGION = 'eu-west-1';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function resources(template: Template, type: string) {
  return Object.entries(template.toJSON().Resources as Resources).filter(
    ([, resource]) => resource.Type === type,
  );
}

function logicalId(template: Template, type: string, pattern: RegExp): string {
  const found = resources(template, type).find(([id]) => pattern.test(id));
  if (!found) throw new Error(`no ${type} matching ${pattern}`);
  return found[0];
}

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objectsOf = (id: string) => ({ 'Fn::Join': ['', [arnOf(id), '/rewritten/*']] });

describe('SSE-KMS with -c kmsKeyArn', () => {
  const template = synthStack({
    region: REGION,
    kmsKeyArn: KEY_ARN,
    keepOriginalDays: 7,
  }).template();
  const messageBucket = logicalId(template, 'AWS::S3::Bucket', /MessageBucket/);
  const originalBucket = logicalId(template, 'AWS::S3::Bucket', /OriginalBucket/);

  it('encrypts both buckets with the key, with S3 Bucket Keys', () => {
    for (const [, bucket] of resources(template, 'AWS::S3::Bucket')) {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN },
          },
        ],
      });
    }
  });

  it('lets the role use the key through S3 for the objects it stores, and nothing else', () => {
    const statements = resources(template, 'AWS::IAM::Policy').flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: { Sid?: string }[] }).Statement,
    );
    expect(statements.filter((statement) => JSON.stringify(statement).includes('kms:'))).toEqual([
      {
        Sid: 'EncryptStoredMessages',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: KEY_ARN,
        Condition: {
          StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
          StringLike: {
            'kms:EncryptionContext:aws:s3:arn': [
              arnOf(messageBucket),
              objectsOf(messageBucket),
              arnOf(originalBucket),
              objectsOf(originalBucket),
            ],
          },
        },
      },
    ]);
  });

  it('outputs the key policy statement WorkMail needs, for the key’s administrator', () => {
    const outputs = Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>);
    const [, output] = outputs.find(([id]) => id.includes('KeyPolicyStatement')) ?? [];
    expect(JSON.parse(String(output?.Value))).toEqual(
      workMailKeyStatement({ region: REGION, account: ACCOUNT, organizationId: ORG_ID }),
    );
  });

  it('keeps SSE-S3 and adds no KMS statement by default', () => {
    const plain = synthStack({ region: REGION }).template();
    expect(JSON.stringify(plain.toJSON())).not.toMatch(/kms:|aws:kms|KeyPolicyStatement/);
  });

  it('passes cdk-nag', () => {
    const { app } = synthStack({ region: REGION, kmsKeyArn: KEY_ARN, nag: true });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('WorkMailRewriteFunction with a key of the same stack', () => {
  it('adds WorkMail’s statement to the key policy itself, and outputs nothing to add by hand', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Keyed', {
      env: { account: ACCOUNT, region: REGION },
    });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new WorkMailRewriteFunction(stack, 'Rewrite', { organizationId: ORG_ID, encryptionKey: key });
    const template = Template.fromStack(stack);
    const [, cfnKey] = resources(template, 'AWS::KMS::Key')[0] ?? [];
    if (!cfnKey) throw new Error('no key in the template');
    const { Statement: statements } = cfnKey.Properties.KeyPolicy as {
      Statement: { Sid?: string }[];
    };
    expect(statements.map((statement) => statement.Sid)).toContain(
      'WorkMailDecryptsRewrittenMessages',
    );
    expect(JSON.stringify(template.toJSON().Outputs ?? {})).not.toContain('KeyPolicyStatement');
  });

  it('fails on a key from another region', () => {
    const stack = new Stack(new App(), 'OtherRegion', {
      env: { account: ACCOUNT, region: REGION },
    });
    const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN.replace(REGION, 'us-east-1'));
    expect(
      () =>
        new WorkMailRewriteFunction(stack, 'Rewrite', {
          organizationId: ORG_ID,
          encryptionKey: key,
        }),
    ).toThrow(
      "encryptionKey must be in the stack's region (eu-west-1): S3 cannot use a key from us-east-1",
    );
  });
});

describe('removal policy', () => {
  it('retain keeps the buckets and leaves CDK’s auto-delete helper and its role out', () => {
    const template = synthStack({
      region: REGION,
      removalPolicy: RemovalPolicy.RETAIN,
      keepOriginalDays: 3,
    }).template();
    const json = template.toJSON() as {
      Resources: Record<string, { Type: string; DeletionPolicy?: string }>;
    };
    const buckets = Object.values(json.Resources).filter((r) => r.Type === 'AWS::S3::Bucket');
    expect(buckets.map((bucket) => bucket.DeletionPolicy)).toEqual(['Retain', 'Retain']);
    expect(resources(template, 'Custom::S3AutoDeleteObjects')).toEqual([]);
    // The function's role is the only role left.
    expect(resources(template, 'AWS::IAM::Role').map(([id]) => id)).toEqual([
      expect.stringMatching(/^RewriteRole/),
    ]);
    expect(JSON.stringify(json)).not.toContain('s3:DeleteObject');
  });

  it('destroy (the default) gives the helper role only basic logging, and deletion on these buckets only', () => {
    const template = synthStack({ region: REGION }).template();
    const helper = resources(template, 'AWS::IAM::Role').filter(([id]) => id.startsWith('Custom'));
    expect(helper).toHaveLength(1);
    const [helperId = '', role] = helper[0] ?? [];
    // No inline policies: its powers on the buckets come from their bucket policies alone.
    expect(role?.Properties.Policies).toBeUndefined();
    expect(JSON.stringify(role?.Properties.ManagedPolicyArns)).toContain(
      'AWSLambdaBasicExecutionRole',
    );
    const grants = resources(template, 'AWS::S3::BucketPolicy').flatMap(([, policy]) =>
      (
        policy.Properties.PolicyDocument as {
          Statement: { Principal?: unknown; Action: unknown }[];
        }
      ).Statement.filter((statement) =>
        JSON.stringify(statement.Principal ?? '').includes(helperId),
      ),
    );
    expect(grants.map((grant) => grant.Action)).toEqual([
      ['s3:DeleteObject*', 's3:GetBucket*', 's3:List*', 's3:PutBucketPolicy'],
    ]);
  });
});
