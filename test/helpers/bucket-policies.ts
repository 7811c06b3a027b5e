/**
 * The bucket policy the stack deploys, resolved (no CloudFormation expressions): the admin
 * guide's WorkMail read statement plus CDK's TLS-only Deny.
 */
export function shippedBucketPolicy(options: {
  bucket: string;
  region: string;
  account: string;
  organizationId: string;
}) {
  const bucketArn = `arn:aws:s3:::${options.bucket}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'WorkMailReadsRewrittenMessages',
        Effect: 'Allow',
        Principal: { Service: `workmail.${options.region}.amazonaws.com` },
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: `${bucketArn}/rewritten/*`,
        Condition: {
          StringEquals: { 'aws:SourceAccount': options.account },
          ArnLike: {
            'aws:SourceArn': `arn:aws:workmailmessageflow:${options.region}:${options.account}:message/${options.organizationId}/*`,
          },
          Bool: { 'aws:SecureTransport': 'true' },
        },
      },
    ],
  };
}

/** The key policy statement the stack asks for: WorkMail may have S3 decrypt its messages. */
export function workMailKeyStatement(options: {
  region: string;
  account: string;
  organizationId: string;
}) {
  return {
    Sid: 'WorkMailDecryptsRewrittenMessages',
    Effect: 'Allow',
    Principal: { Service: `workmail.${options.region}.amazonaws.com` },
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: {
      StringEquals: {
        'kms:ViaService': `s3.${options.region}.amazonaws.com`,
        'aws:SourceAccount': options.account,
      },
      ArnLike: {
        'aws:SourceArn': `arn:aws:workmailmessageflow:${options.region}:${options.account}:message/${options.organizationId}/*`,
      },
    },
  };
}
