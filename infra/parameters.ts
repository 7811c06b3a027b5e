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
  reservedConcurrency?: number;
  alarmEmail?: string;
  keepOriginalDays?: number;
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
  stackName: 'stackName',
} as const;

const RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number'),
);

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/**
 * Reads and validates the deployment parameters from CDK context.
 *
 * @throws ParameterError naming the parameter and what it expects
 */
export function readParameters(node: Node): Parameters {
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
  if (concurrency !== undefined && !/^[1-9][0-9]{0,4}$/.test(concurrency)) {
    throw new ParameterError(
      `context value ${CONTEXT.reservedConcurrency} must be a whole number from 1, got ${JSON.stringify(concurrency)}`,
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
  return {
    organizationId,
    ...(concurrency ? { reservedConcurrency: Number(concurrency) } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(bucketName ? { bucketName } : {}),
    ...(retention ? { logRetention: Number(retention) as logs.RetentionDays } : {}),
    // 0 is the same as absent: the feature is off and nothing of it is in the template.
    ...(Number(keepDays) > 0 ? { keepOriginalDays: Number(keepDays) } : {}),
    stackName: text(node, CONTEXT.stackName) ?? 'WorkMailRewriteRule',
  };
}
