import { App, Stack } from 'aws-cdk-lib';
import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { WorkMailRewriteFunction } from '../../infra/workmail-rewrite-function';
import { ENV } from '../../lambda/env-names';
import { deployedAccess, LOCAL_ACCOUNT } from '../../local/deployed-access';
import type { DeployedFunction, Template } from '../../local/deployed-function';
import { unverifiedKeys, workMailReadDenial } from '../../local/workmail-access';
import { ACCOUNT, ORG_ID, synthStack } from '../helpers/synth';

const OTHER_ORG = 'm-ffffffffffffffffffffffffffffffff';
const BUCKETS = { [ENV.bucket]: 'local-mail', [ENV.originalBucket]: 'local-originals' };

/** The function's part of a template, as replay finds it in a cloud assembly. */
function deployed(template: Template): DeployedFunction {
  const fn = Object.values(template.Resources ?? {}).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables?.[ENV.bucket],
  );
  if (!fn) throw new Error('the template has no rewrite function');
  const { Variables: environment } = fn.Properties.Environment as {
    Variables: Record<string, unknown>;
  };
  return { bundlePath: 'unused.js', environment, template };
}

function synthesized(options: Parameters<typeof synthStack>[0] = {}): Template {
  return synthStack(options).template().toJSON() as Template;
}

/** The template with every string that names the organization in a bucket policy changed. */
function withBucketPolicyText(template: Template, from: string, to: string): Template {
  const copy = structuredClone(template);
  for (const resource of Object.values(copy.Resources ?? {})) {
    if (resource.Type !== 'AWS::S3::BucketPolicy') continue;
    resource.Properties.PolicyDocument = JSON.parse(
      JSON.stringify(resource.Properties.PolicyDocument).split(from).join(to),
    );
  }
  return copy;
}

const read = (key = 'rewritten/abc') => ({ bucket: 'local-mail', key });

describe('deployedAccess', () => {
  it('finds the organization in the invoke permission and the bucket policies by local name', () => {
    // Act
    const access = deployedAccess(
      deployed(synthesized({ keepOriginalDays: 3 })),
      BUCKETS,
      'us-east-1',
    );
    // Assert
    expect(access.identity).toEqual({
      region: 'us-east-1',
      account: LOCAL_ACCOUNT,
      organizationId: ORG_ID,
    });
    expect(Object.keys(access.bucketPolicies).sort()).toEqual(['local-mail', 'local-originals']);
  });

  it('takes region and account from a template synthesized for an environment', () => {
    const access = deployedAccess(
      deployed(synthesized({ region: 'eu-west-1' })),
      BUCKETS,
      'us-east-1',
    );
    expect(access.identity).toEqual({
      region: 'eu-west-1',
      account: ACCOUNT,
      organizationId: ORG_ID,
    });
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toBeUndefined();
  });

  it('lets WorkMail read rewritten messages, inbound and outbound, under the shipped policy', () => {
    const access = deployedAccess(deployed(synthesized()), BUCKETS, 'us-east-1');
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toBeUndefined();
    expect(workMailReadDenial(access, 'abc-1', 'OUTBOUND', read())).toBeUndefined();
  });

  it('refuses WorkMail keys outside the prefix, and every read of the originals bucket', () => {
    const access = deployedAccess(
      deployed(synthesized({ keepOriginalDays: 3 })),
      BUCKETS,
      'us-east-1',
    );
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read('other/abc'))).toMatch(
      /does not match: its Resource/,
    );
    expect(
      workMailReadDenial(access, 'abc-1', 'INBOUND', {
        bucket: 'local-originals',
        key: 'rewritten/abc',
      }),
    ).toMatch(/no Allow statement names workmail.us-east-1.amazonaws.com/);
  });

  it('refuses WorkMail when the bucket policy names another organization', () => {
    const template = withBucketPolicyText(
      synthesized(),
      `message/${ORG_ID}/`,
      `message/${OTHER_ORG}/`,
    );
    const access = deployedAccess(deployed(template), BUCKETS, 'us-east-1');
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toMatch(/ArnLike aws:SourceArn/);
  });

  it('refuses WorkMail when the bucket policy names the global principal', () => {
    const template = withBucketPolicyText(
      synthesized({ region: 'eu-west-1' }),
      'workmail.eu-west-1.amazonaws.com',
      'workmail.amazonaws.com',
    );
    const access = deployedAccess(deployed(template), BUCKETS, 'us-east-1');
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toMatch(
      /no Allow statement names workmail.eu-west-1.amazonaws.com/,
    );
  });

  it('refuses WorkMail a bucket that has no policy', () => {
    const template = structuredClone(synthesized());
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::S3::BucketPolicy') delete template.Resources?.[id];
    }
    const access = deployedAccess(deployed(template), BUCKETS, 'us-east-1');
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toBe(
      'bucket local-mail has no bucket policy for WorkMail',
    );
  });

  it('fails when the template lets WorkMail invoke the function for no organization', () => {
    const template = structuredClone(synthesized());
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::Lambda::Permission') delete template.Resources?.[id];
    }
    expect(() => deployedAccess(deployed(template), BUCKETS, 'us-east-1')).toThrow(
      'the template gives WorkMail no permission to invoke the function',
    );
  });

  it('fails on an expression it cannot resolve, naming it', () => {
    const template = withBucketPolicyText(synthesized(), '"AWS::AccountId"', '"SomeParameter"');
    expect(() => deployedAccess(deployed(template), BUCKETS, 'us-east-1')).toThrow(
      `the template's {"Ref":"SomeParameter"} cannot be resolved locally`,
    );
  });

  it('notes an imported SSE-KMS key, whose policy it cannot see, and still lets WorkMail read', () => {
    const keyArn = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`;
    const access = deployedAccess(
      deployed(synthesized({ region: 'eu-west-1', kmsKeyArn: keyArn })),
      BUCKETS,
      'us-east-1',
    );
    expect(access.bucketKeys).toEqual({ 'local-mail': { keyArn } });
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toBeUndefined();
    expect(unverifiedKeys(access)).toEqual([
      `bucket local-mail uses SSE-KMS with ${keyArn}, whose key policy is not in the template`,
    ]);
  });

  it('evaluates the key policy of a key in the same stack: WorkMail may decrypt, or not', () => {
    // Prepare: the construct in a stack of its own, with a key of that stack
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Keyed', {
      env: { account: ACCOUNT, region: 'eu-west-1' },
    });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new WorkMailRewriteFunction(stack, 'Rewrite', { organizationId: ORG_ID, encryptionKey: key });
    const template = CdkTemplate.fromStack(stack).toJSON() as Template;
    // Act
    const access = deployedAccess(deployed(template), BUCKETS, 'us-east-1');
    const withoutGrant = structuredClone(template);
    for (const resource of Object.values(withoutGrant.Resources ?? {})) {
      if (resource.Type !== 'AWS::KMS::Key') continue;
      const policy = resource.Properties.KeyPolicy as { Statement: { Sid?: string }[] };
      policy.Statement = policy.Statement.filter(
        (statement) => statement.Sid !== 'WorkMailDecryptsRewrittenMessages',
      );
    }
    const refused = deployedAccess(deployed(withoutGrant), BUCKETS, 'us-east-1');
    // Assess
    expect(unverifiedKeys(access)).toEqual([]);
    expect(workMailReadDenial(access, 'abc-1', 'INBOUND', read())).toBeUndefined();
    expect(workMailReadDenial(refused, 'abc-1', 'INBOUND', read())).toMatch(
      /^key policy of arn:aws:kms:[a-z0-9-]+:111122223333:key\/Key[0-9A-F]+: no statement allows workmail.eu-west-1.amazonaws.com kms:Decrypt/,
    );
  });
});
