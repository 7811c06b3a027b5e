import type { DeployedFunction } from './deployed-function';
import { UsageError } from './policy-file';
import { resolveTemplateValue, type TemplateBindings } from './template-values';
import type { WorkMailAccess } from './workmail-access';

/** The account that an environment-agnostic template's `AWS::AccountId` stands for locally. */
export const LOCAL_ACCOUNT = '111122223333';

const WORKMAIL_ORGANIZATION_ARN = /^arn:[^:]+:workmail:([a-z0-9-]+):(\d{12}):organization\/(.+)$/;

/**
 * What WorkMail may read, per the synthesized stack: the organization is the one the function's
 * invoke permission names (its region and account too), and each bucket's policy is the
 * template's, with the stack's buckets resolved to their local names. `buckets` maps each
 * bucket's environment variable (as the function sees it) to its local name.
 *
 * @throws UsageError when the template grants WorkMail no invoke permission, or holds an
 *   expression that cannot be resolved locally
 */
export function deployedAccess(
  deployed: DeployedFunction,
  buckets: Record<string, string>,
  region: string,
): WorkMailAccess {
  const resources = Object.entries(deployed.template.Resources ?? {});
  const bindings: TemplateBindings = {
    refs: { 'AWS::Region': region, 'AWS::AccountId': LOCAL_ACCOUNT, 'AWS::Partition': 'aws' },
    attributes: {},
  };
  const localBuckets = new Map<string, string>();
  for (const [variable, value] of Object.entries(deployed.environment)) {
    const logicalId = (value as { Ref?: unknown } | null)?.Ref;
    const bucket = buckets[variable];
    if (typeof logicalId !== 'string' || !bucket) continue;
    localBuckets.set(logicalId, bucket);
    bindings.refs[logicalId] = bucket;
    bindings.attributes[`${logicalId}.Arn`] = `arn:aws:s3:::${bucket}`;
  }
  for (const [logicalId, resource] of resources) {
    if (resource.Type === 'AWS::IAM::Role') {
      bindings.attributes[`${logicalId}.Arn`] = `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}`;
    }
    if (resource.Type === 'AWS::KMS::Key') {
      bindings.attributes[`${logicalId}.Arn`] =
        `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/${logicalId}`;
    }
  }

  const bucketPolicies: Record<string, unknown> = {};
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::S3::BucketPolicy') continue;
    const logicalId = (resource.Properties.Bucket as { Ref?: string } | undefined)?.Ref;
    const bucket = logicalId ? bindings.refs[logicalId] : undefined;
    if (!bucket) continue;
    bucketPolicies[bucket] = resolveTemplateValue(resource.Properties.PolicyDocument, bindings);
  }
  const bucketKeys: NonNullable<WorkMailAccess['bucketKeys']> = {};
  for (const [logicalId, bucket] of localBuckets) {
    const key = bucketKey(deployed.template.Resources ?? {}, logicalId, bindings);
    if (key) bucketKeys[bucket] = key;
  }
  return {
    identity: invokingOrganization(resources, bindings),
    bucketPolicies,
    ...(Object.keys(bucketKeys).length ? { bucketKeys } : {}),
  };
}

/** The bucket's SSE-KMS key, with its key policy when the key is in the same template. */
function bucketKey(
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>,
  bucketId: string,
  bindings: TemplateBindings,
): { keyArn: string; keyPolicy?: unknown } | undefined {
  const encryption = resources[bucketId]?.Properties.BucketEncryption as
    | {
        ServerSideEncryptionConfiguration?: {
          ServerSideEncryptionByDefault?: Record<string, unknown>;
        }[];
      }
    | undefined;
  const byDefault =
    encryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
  if (byDefault?.SSEAlgorithm !== 'aws:kms') return undefined;
  const keyId = (byDefault.KMSMasterKeyID as { 'Fn::GetAtt'?: string[] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  const key = keyId ? resources[keyId] : undefined;
  const keyArn =
    byDefault.KMSMasterKeyID === undefined
      ? 'the AWS managed key aws/s3'
      : String(resolveTemplateValue(byDefault.KMSMasterKeyID, bindings));
  if (key?.Type !== 'AWS::KMS::Key') return { keyArn };
  return { keyArn, keyPolicy: resolveTemplateValue(key.Properties.KeyPolicy, bindings) };
}

function invokingOrganization(
  resources: [string, { Type: string; Properties: Record<string, unknown> }][],
  bindings: TemplateBindings,
): WorkMailAccess['identity'] {
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::Lambda::Permission') continue;
    const principal = resolveTemplateValue(resource.Properties.Principal, bindings);
    if (typeof principal !== 'string' || !/^workmail\.[a-z0-9-]+\.amazonaws\.com$/.test(principal))
      continue;
    const sourceArn = String(resolveTemplateValue(resource.Properties.SourceArn, bindings));
    const match = WORKMAIL_ORGANIZATION_ARN.exec(sourceArn);
    if (!match) {
      throw new UsageError(
        `the template lets WorkMail invoke the function for ${sourceArn}, not for one organization`,
      );
    }
    const [, region = '', account = '', organizationId = ''] = match;
    return { region, account, organizationId };
  }
  throw new UsageError('the template gives WorkMail no permission to invoke the function');
}
