import { CfnOutput, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * What SSE-KMS with a customer managed key needs, for buckets that S3 encrypts with `key` (S3
 * Bucket Keys on): the function's role may have S3 use the key for the buckets' objects, and
 * WorkMail may have S3 decrypt the rewritten messages it reads.
 *
 * Nothing in AWS's documentation says WorkMail reads SSE-KMS objects, nor with which principal
 * and conditions: the WorkMail statement mirrors the bucket policy's (regional service principal,
 * `aws:SourceAccount`, the organization's message ARNs) and must be verified in the account.
 *
 * @throws Error when the key is in another region than the stack (S3 cannot use it)
 */
export function allowMessageEncryption(
  scope: Construct,
  options: {
    key: kms.IKey;
    role: iam.Role;
    /** Buckets the function writes to, with the prefix it writes under. */
    buckets: s3.IBucket[];
    keyPrefix: string;
    messageArns: string;
  },
): void {
  const stack = Stack.of(scope);
  const keyRegion = options.key.env.region;
  if (!Token.isUnresolved(keyRegion) && !Token.isUnresolved(stack.region)) {
    if (keyRegion !== stack.region) {
      throw new Error(
        `encryptionKey must be in the stack's region (${stack.region}): S3 cannot use a key from ${keyRegion}`,
      );
    }
  }
  const viaS3 = { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` };
  options.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptStoredMessages',
      // PutObject needs a data key; a multipart upload also decrypts it to add each part.
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [options.key.keyArn],
      conditions: {
        StringEquals: viaS3,
        StringLike: {
          // With S3 Bucket Keys the context is the bucket ARN, without them the object ARN.
          'kms:EncryptionContext:aws:s3:arn': options.buckets.flatMap((bucket) => [
            bucket.bucketArn,
            bucket.arnForObjects(`${options.keyPrefix}*`),
          ]),
        },
      },
    }),
  );
  const workMailDecrypts = new iam.PolicyStatement({
    sid: 'WorkMailDecryptsRewrittenMessages',
    principals: [new iam.ServicePrincipal(`workmail.${stack.region}.amazonaws.com`)],
    actions: ['kms:Decrypt'],
    // In a key policy, `*` is the key itself.
    resources: ['*'],
    // No encryption-context condition naming the bucket: a key of the same stack would then
    // depend on the bucket that depends on it. The organization's message ARNs narrow it instead.
    conditions: {
      StringEquals: { ...viaS3, 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': options.messageArns },
    },
  });
  const { statementAdded } = options.key.addToResourcePolicy(workMailDecrypts, true);
  if (!statementAdded) {
    // An imported key's policy belongs to whoever manages the key: hand them the statement.
    new CfnOutput(scope, 'KeyPolicyStatement', {
      description:
        'Add this statement to the key policy of kmsKeyArn so that WorkMail can read rewritten messages (unverified: see docs/deployment.md)',
      value: stack.toJsonString(workMailDecrypts.toStatementJson()),
    });
  }
}
