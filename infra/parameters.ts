import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import {
  bucketNameProblem,
  MAX_KEEP_DAYS,
  organizationIdProblem,
} from './workmail-rewrite-function';

/** A deployment parameter (CDK context value) is missing or invalid. */
export class ParameterError extends Error {
  override name = 'ParameterError';
}

/** Deployment settings, given as `cdk deploy -c name=value`. */
export interface Parameters {
  organizationId: string;
  bucketName?: string;
  logRetention?: logs.RetentionDays;
  reservedConcurrency?: number | 'unreserved';
  alarmEmail?: string;
  keepOriginalDays?: number;
  /** A customer managed KMS key for both buckets (SSE-KMS); SSE-S3 without it. */
  kmsKeyArn?: string;
  removalPolicy?: RemovalPolicy;
  /** WorkMail's email event log group, for the invocation watch. */
  eventLogGroup?: string;
  /** The flow rule's name, for the invocation watch. */
  ruleName?: string;
  stackName: string;
}

/** The context keys, as README's parameter table lists them. */
export const CONTEXT = {
  organizationId: 'orgId',
  bucketName: 'bucketName',
  logRetentionDays: 'logRetentionDays',
  reservedConcurrency: 'reservedConcurrency',
  alarmEmail: 'alarmEmail',
  keepOriginalDays: 'keepOriginalDays',
  kmsKeyArn: 'kmsKeyArn',
  removalPolicy: 'removalPolicy',
  eventLogGroup: 'eventLogGroup',
  ruleName: 'ruleName',
  stackName: 'stackName',
} as const;

/** Key ARNs (single- or multi-Region keys); aliases do not fit key policy conditions. */
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const REMOVAL_POLICIES = { retain: RemovalPolicy.RETAIN, destroy: RemovalPolicy.DESTROY } as const;

const RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number'),
);

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/**
 * Reads and validates the deployment parameters from CDK context; `region`, when known, is where
 * the stack deploys.
 *
 * @throws ParameterError naming the parameter and what it expects
 */
export function readParameters(node: Node, region?: string): Parameters {
  const organizationId = text(node, CONTEXT.organizationId);
  if (!organizationId) {
    throw new ParameterError(
      `context value ${CONTEXT.organizationId} is required: run cdk deploy -c ${CONTEXT.organizationId}=m-<32 hex digits> (WorkMail console, Organization settings)`,
    );
  }
  const organizationProblem = organizationIdProblem(organizationId);
  if (organizationProblem) {
    throw new ParameterError(`context value ${CONTEXT.organizationId} ${organizationProblem}`);
  }
  const bucketName = text(node, CONTEXT.bucketName);
  const bucketProblem = bucketName !== undefined && bucketNameProblem(bucketName);
  if (bucketProblem) {
    throw new ParameterError(`context value ${CONTEXT.bucketName} ${bucketProblem}`);
  }
  const retention = text(node, CONTEXT.logRetentionDays);
  if (retention !== undefined && !RETENTION_DAYS.has(Number(retention))) {
    throw new ParameterError(
      `context value ${CONTEXT.logRetentionDays} must be one of CloudWatch's retention periods in days (1, 3, 5, 7, 14, 30, 60, 90, ...), got ${JSON.stringify(retention)}`,
    );
  }
  const concurrency = text(node, CONTEXT.reservedConcurrency);
  if (concurrency !== undefined && !/^([1-9][0-9]{0,4}|unreserved)$/.test(concurrency)) {
    throw new ParameterError(
      `context value ${CONTEXT.reservedConcurrency} must be a whole number from 1, or unreserved, got ${JSON.stringify(concurrency)}`,
    );
  }
  const kmsKeyArn = text(node, CONTEXT.kmsKeyArn);
  if (kmsKeyArn !== undefined && !KMS_KEY_ARN.test(kmsKeyArn)) {
    throw new ParameterError(
      `context value ${CONTEXT.kmsKeyArn} must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias), got ${JSON.stringify(kmsKeyArn)}`,
    );
  }
  const keyRegion = kmsKeyArn?.split(':')[3];
  if (region && keyRegion && keyRegion !== region) {
    throw new ParameterError(
      `context value ${CONTEXT.kmsKeyArn} names a key in ${keyRegion}, but the stack deploys to ${region}: S3 can only use a key of the bucket's region`,
    );
  }
  const removal = text(node, CONTEXT.removalPolicy);
  if (removal !== undefined && !Object.hasOwn(REMOVAL_POLICIES, removal)) {
    throw new ParameterError(
      `context value ${CONTEXT.removalPolicy} must be retain or destroy, got ${JSON.stringify(removal)}`,
    );
  }
  const alarmEmail = text(node, CONTEXT.alarmEmail);
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new ParameterError(
      `context value ${CONTEXT.alarmEmail} must be an e-mail address, got ${JSON.stringify(alarmEmail)}`,
    );
  }
  const keepDays = text(node, CONTEXT.keepOriginalDays);
  if (
    keepDays !== undefined &&
    !(/^(0|[1-9][0-9]{0,2})$/.test(keepDays) && Number(keepDays) <= MAX_KEEP_DAYS)
  ) {
    throw new ParameterError(
      `context value ${CONTEXT.keepOriginalDays} must be a whole number of days from 1 to ${MAX_KEEP_DAYS} (0: keep no originals), got ${JSON.stringify(keepDays)}`,
    );
  }
  const eventLogGroup = text(node, CONTEXT.eventLogGroup);
  if (eventLogGroup !== undefined && !/^[\w./#-]{1,512}$/.test(eventLogGroup)) {
    throw new ParameterError(
      `context value ${CONTEXT.eventLogGroup} must be a log group name (letters, digits, _ - / . #), got ${JSON.stringify(eventLogGroup)}`,
    );
  }
  const ruleName = text(node, CONTEXT.ruleName);
  if (ruleName !== undefined && (!eventLogGroup || ruleName.includes('"'))) {
    throw new ParameterError(
      `context value ${CONTEXT.ruleName} needs ${CONTEXT.eventLogGroup} and must not contain a double quote, got ${JSON.stringify(ruleName)}`,
    );
  }
  return {
    organizationId,
    ...(eventLogGroup ? { eventLogGroup } : {}),
    ...(ruleName ? { ruleName } : {}),
    ...(concurrency
      ? { reservedConcurrency: concurrency === 'unreserved' ? 'unreserved' : Number(concurrency) }
      : {}),
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
    ...(removal
      ? { removalPolicy: REMOVAL_POLICIES[removal as keyof typeof REMOVAL_POLICIES] }
      : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(bucketName ? { bucketName } : {}),
    ...(retention ? { logRetention: Number(retention) as logs.RetentionDays } : {}),
    // 0 is the same as absent: the feature is off and nothing of it is in the template.
    ...(Number(keepDays) > 0 ? { keepOriginalDays: Number(keepDays) } : {}),
    stackName: text(node, CONTEXT.stackName) ?? 'WorkMailRewriteRule',
  };
}
