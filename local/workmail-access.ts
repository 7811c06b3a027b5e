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
  const sourceArn = messageArn(identity, messageId, direction);
  try {
    const decision = evaluateBucketPolicy(policy, {
      principal: { service: `workmail.${identity.region}.amazonaws.com` },
      // S3 asks for GetObjectVersion when a version is named.
      action: reference.objectVersion ? 's3:GetObjectVersion' : 's3:GetObject',
      resource: `arn:aws:s3:::${reference.bucket}/${reference.key}`,
      context: {
        'aws:SourceAccount': identity.account,
        'aws:SourceArn': sourceArn,
        'aws:SecureTransport': 'true',
        'aws:PrincipalIsAWSService': 'true',
      },
    });
    if (decision.allowed) return undefined;
    return `bucket policy: ${decision.reason}; WorkMail reads as workmail.${identity.region}.amazonaws.com for ${sourceArn}`;
  } catch (error) {
    if (!(error instanceof PolicyEvaluationError)) throw error;
    return `bucket policy cannot be evaluated: ${error.message}`;
  }
}
