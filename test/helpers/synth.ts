import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WorkMailRewriteStack } from '../../infra/workmail-rewrite-stack';

export const ORG_ID = 'm-0123456789abcdef0123456789abcdef';
export const ACCOUNT = '111122223333';

/** cdk.json's context (feature flags), which `new App()` in jest does not read by itself. */
const CDK_JSON_CONTEXT = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'))
  .context as Record<string, unknown>;

export interface SynthOptions {
  region?: string;
  bucketName?: string;
  /** Run esbuild for the function (slow); off by default. */
  bundle?: boolean;
  /** Register cdk-nag's AwsSolutions checks, as infra/app.ts does. */
  nag?: boolean;
  alarmEmail?: string;
  reservedConcurrency?: number | 'unreserved';
  keepOriginalDays?: number;
  kmsKeyArn?: string;
  removalPolicy?: RemovalPolicy;
  eventLogGroup?: string;
  ruleName?: string;
}

export function synthStack(options: SynthOptions = {}) {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stack = new WorkMailRewriteStack(app, 'TestStack', {
    organizationId: ORG_ID,
    ...(options.bucketName ? { bucketName: options.bucketName } : {}),
    ...(options.alarmEmail ? { alarmEmail: options.alarmEmail } : {}),
    ...(options.reservedConcurrency ? { reservedConcurrency: options.reservedConcurrency } : {}),
    ...(options.keepOriginalDays ? { keepOriginalDays: options.keepOriginalDays } : {}),
    ...(options.kmsKeyArn ? { kmsKeyArn: options.kmsKeyArn } : {}),
    ...(options.removalPolicy ? { removalPolicy: options.removalPolicy } : {}),
    ...(options.eventLogGroup ? { eventLogGroup: options.eventLogGroup } : {}),
    ...(options.ruleName ? { ruleName: options.ruleName } : {}),
    ...(options.region ? { env: { account: ACCOUNT, region: options.region } } : {}),
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: () => Template.fromStack(stack) };
}
