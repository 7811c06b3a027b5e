import { evaluateBucketPolicy, PolicyEvaluationError } from './bucket-policy';

/** The WorkMail organization whose mail the emulator carries, and where it lives. */
export interface WorkMailIdentity {
  region: string;
  account: string;
  organizationId: string;
}

/** What the emulator checks before it reads an object that a Put names, as WorkMail's S3 read. */
export interface WorkMailAccess {
  identity: WorkMailIdentity;
  /** Bucket policies by bucket name. A bucket without one grants WorkMail nothing. */
  bucketPolicies: Record<string, unknown>;
  /**
   * Buckets encrypted with a customer managed KMS key (SSE-KMS), by name: the key's ARN and, when
   * the key is known, its key policy, which must let WorkMail decrypt through S3. Whether WorkMail
   * reads SSE-KMS objects at all is undocumented; the check assumes it presents the same
   * principal and source as to S3.
   */
  bucketKeys?: Record<string, { keyArn: string; keyPolicy?: unknown }>;
}

export type FlowDirection = 'INBOUND' | 'OUTBOUND';

/** The object a Put names. */
export interface ObjectReference {
  bucket: string;
  key: string;
  objectVersion?: string;
}

/**
 * The message's ARN, which WorkMail presents as `aws:SourceArn` when it reads S3:
 * `arn:aws:workmailmessageflow:<region>:<account>:message/<orgId>/<incoming|outgoing>/<messageId>`
 * (IAM service authorization reference; the context part per the admin guide).
 */
export function messageArn(
  identity: WorkMailIdentity,
  messageId: string,
  direction: FlowDirection,
): string {
  const context = direction === 'INBOUND' ? 'incoming' : 'outgoing';
  return `arn:aws:workmailmessageflow:${identity.region}:${identity.account}:message/${identity.organizationId}/${context}/${messageId}`;
}

/**
 * Why WorkMail could not read `reference` for this message, or undefined when the bucket policy
 * lets it: the regional WorkMail service principal over TLS, with the account and the message's
 * ARN as `aws:SourceAccount` and `aws:SourceArn` (the admin guide's bucket policy conditions).
 */
export function workMailReadDenial(
  access: WorkMailAccess,
  messageId: string,
  direction: FlowDirection,
  reference: ObjectReference,
): string | undefined {
  const policy = access.bucketPolicies[reference.bucket];
  if (policy === undefined) return `bucket ${reference.bucket} has no bucket policy for WorkMail`;
  const { identity } = access;
  const { principal, sourceArn, context } = workMailCaller(identity, messageId, direction);
  try {
    const decision = evaluateBucketPolicy(policy, {
      principal,
      // S3 asks for GetObjectVersion when a version is named.
      action: reference.objectVersion ? 's3:GetObjectVersion' : 's3:GetObject',
      resource: `arn:aws:s3:::${reference.bucket}/${reference.key}`,
      context,
    });
    if (!decision.allowed) {
      return `bucket policy: ${decision.reason}; WorkMail reads as ${principal.service} for ${sourceArn}`;
    }
  } catch (error) {
    if (!(error instanceof PolicyEvaluationError)) throw error;
    return `a policy cannot be evaluated: ${error.message}`;
  }
  const key = access.bucketKeys?.[reference.bucket];
  if (!key?.keyPolicy) return undefined;
  return workMailDecryptDenial(identity, messageId, direction, reference.bucket, {
    keyArn: key.keyArn,
    keyPolicy: key.keyPolicy,
  });
}

/** WorkMail as S3 and KMS would see it when it reads this message's content. */
function workMailCaller(identity: WorkMailIdentity, messageId: string, direction: FlowDirection) {
  const sourceArn = messageArn(identity, messageId, direction);
  return {
    principal: { service: `workmail.${identity.region}.amazonaws.com` },
    sourceArn,
    context: {
      'aws:SourceAccount': identity.account,
      'aws:SourceArn': sourceArn,
      'aws:SecureTransport': 'true',
      'aws:PrincipalIsAWSService': 'true',
    },
  };
}

/**
 * Why the key policy would not let WorkMail have S3 decrypt this bucket's objects for this
 * message, or undefined when it would: S3 decrypts for the reader, so the key policy sees the
 * reader, through S3 (`kms:ViaService`), for the bucket (encryption context).
 */
export function workMailDecryptDenial(
  identity: WorkMailIdentity,
  messageId: string,
  direction: FlowDirection,
  bucket: string,
  key: { keyArn: string; keyPolicy: unknown },
): string | undefined {
  const { principal, context } = workMailCaller(identity, messageId, direction);
  try {
    const decrypt = evaluateBucketPolicy(key.keyPolicy, {
      principal,
      action: 'kms:Decrypt',
      resource: key.keyArn,
      context: {
        ...context,
        'kms:ViaService': `s3.${identity.region}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${bucket}`,
      },
    });
    return decrypt.allowed ? undefined : `key policy of ${key.keyArn}: ${decrypt.reason}`;
  } catch (error) {
    if (!(error instanceof PolicyEvaluationError)) throw error;
    return `the key policy cannot be evaluated: ${error.message}`;
  }
}

/** Buckets whose SSE-KMS key's policy is not known here: WorkMail's read of them is unverified. */
export function unverifiedKeys(access: WorkMailAccess): string[] {
  return Object.entries(access.bucketKeys ?? {})
    .filter(([, key]) => key.keyPolicy === undefined)
    .map(
      ([bucket, key]) =>
        `bucket ${bucket} uses SSE-KMS with ${key.keyArn}, whose key policy is not in the template`,
    );
}
