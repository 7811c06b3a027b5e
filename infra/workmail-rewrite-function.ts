import { join } from 'node:path';
import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS } from '../lambda/config';
import { ENV } from '../lambda/env-names';
import { bundledPolicy, POLICY_DEFINE } from '../lambda/policy/bundled-policy';
import { readPolicyFile } from '../lambda/policy/policy-file';
import { policyWarnings } from '../lambda/policy/policy-warnings';
import type { FlowDirection } from '../lambda/workmail';
import { flowRulesNeeded } from './flow-rules';
import { InvocationWatch, type InvocationWatchOptions } from './invocation-watch';
import { allowMessageEncryption } from './message-encryption';
import { acknowledgeRule, acknowledgeWildcardResource } from './nag-acknowledgements';
import { type AlarmOptions, RewriteOperations } from './operations';

/** Regions where WorkMail runs (admin guide); the organization and the function share one. */
export const WORKMAIL_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;

/** WorkMail organization ids: `m-` and 32 lower-case hex digits. */
const ORGANIZATION_ID_PATTERN = /^m-[0-9a-f]{32}$/;

/** S3 naming rules narrowed by the Message Flow API's `^[a-z0-9][a-z0-9\-]*$` (no dots). */
const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * Reserved concurrency unless told otherwise; see `reservedConcurrency` and docs/deployment.md.
 */
export const DEFAULT_RESERVED_CONCURRENCY = 20;

/** Longest time originals may be kept: they are copies of private mail, not an archive. */
export const MAX_KEEP_DAYS = 365;

const REPOSITORY_ROOT = join(__dirname, '..');

export interface WorkMailRewriteFunctionProps {
  /**
   * The WorkMail organization (`m-` and 32 hex digits). Only this organization can invoke the
   * function, and only its messages can be read or replaced by it.
   */
  readonly organizationId: string;

  /**
   * Name of the bucket that holds rewritten messages until WorkMail has read them.
   * It must fit the Message Flow API: lower-case letters, digits and hyphens, no dots.
   *
   * @default - CloudFormation generates a name from the stack name
   */
  readonly bucketName?: string;

  /**
   * How long the function's log lines are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Memory of the function in MB. CPU grows with memory (one vCPU at 1,769 MB). The default
   * follows `npm run bench` (docs/performance.md): a 40 MB message peaks near 170 MB of RSS, and
   * takes about 1 s on one core here, so about 3.3 s at 512 MB's share of a core; with a safety
   * factor of 2 that is well inside the 12 s timeout and WorkMail's 15 s. Small messages, the
   * common case, gain nothing from more memory but cost more.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Invocations the function may run at once (reserved concurrency), so that a flood of mail
   * cannot starve the account's other functions, nor they it; invocations beyond it are
   * throttled and WorkMail retries them, holding the mail. The default follows the benchmark and
   * a busy organization's mail rate (docs/deployment.md, Concurrency): about 9 at once for 5,000
   * mailboxes at their peak hour, so 20 leaves twice that. `'unreserved'` uses the account's
   * shared pool (needed where the account's concurrency limit is under 120: Lambda keeps 100
   * unreserved).
   *
   * @default 20
   */
  readonly reservedConcurrency?: number | 'unreserved';

  /**
   * Encrypt both buckets with this customer managed KMS key (SSE-KMS, with S3 Bucket Keys)
   * instead of S3-managed keys. The role may use it through S3 for the buckets' objects; the
   * key policy must let WorkMail decrypt the rewritten messages: a key created in the same stack
   * gets that statement, an imported key's statement is a stack output to add by hand. Nothing in
   * AWS's documentation says WorkMail reads SSE-KMS objects: verify with `npm run smoke`.
   *
   * @default - SSE-S3 (S3-managed keys), as AWS's WorkMail samples use
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Alarm thresholds and notifications; see `AlarmOptions`.
   *
   * @default - the four alarms with their default thresholds, no notifications
   */
  readonly alarms?: AlarmOptions;

  /**
   * A policy file of your own, kept outside this repository so that template updates never
   * conflict with it. It is validated here (a bad one stops the synth, naming each problem) and
   * bundled into the function's code, like the repository's policy.
   *
   * @default - the repository's `policy/policy.json`
   */
  readonly policyFile?: string;

  /**
   * Alarms from WorkMail's email event log for what the function cannot see: mail arrives but the
   * function is not invoked, and WorkMail applies the rule's fallback itself. Needs email event
   * logging on (WorkMail console, Monitoring settings); see `InvocationWatchOptions`.
   *
   * @default - no invocation watch
   */
  readonly invocationWatch?: InvocationWatchOptions;

  /**
   * Keep the untouched original of each message this many days (1 to 365), in a second bucket
   * with the same protections, for compliance and debugging. WorkMail never reads it.
   *
   * @default - originals are not kept
   */
  readonly keepOriginalDays?: number;

  /**
   * What happens to the buckets and the log group when the stack is deleted. `DESTROY` empties
   * and deletes the buckets: they only hold copies of mail, which expire after a day (or
   * `keepOriginalDays` for originals); it needs CDK's auto-delete helper (a function and a role
   * that may delete the buckets' objects). `RETAIN` keeps them and leaves the helper out: the
   * choice for production.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Everything a WorkMail synchronous Run Lambda rule needs: the rewrite function, the bucket that
 * WorkMail reads rewritten messages from, least-privilege permissions for both, and the
 * permission that lets the organization invoke the function.
 */
export class WorkMailRewriteFunction extends Construct {
  readonly function: NodejsFunction;
  /**
   * The `live` alias: the WorkMail rule points at it, and a release is rolled back by pointing
   * it at the previous version.
   */
  readonly alias: lambda.Alias;
  readonly operations: RewriteOperations;
  readonly bucket: s3.Bucket;
  /** Untouched originals, when `keepOriginalDays` is set. */
  readonly originalBucket?: s3.Bucket;
  /** The WorkMail flow rules (inbound, outbound) that the bundled policy needs. */
  readonly flowRulesNeeded: readonly FlowDirection[];
  /** The prefix under which messages are stored, in both buckets (originals keep the same key). */
  readonly keyPrefix = DEFAULTS.keyPrefix;

  constructor(scope: Construct, id: string, props: WorkMailRewriteFunctionProps) {
    super(scope, id);
    validateProps(props);
    // The policy travels inside the bundle: a bad one must stop the synth, not the cold start.
    const policyFile =
      props.policyFile === undefined ? undefined : readPolicyFile(props.policyFile);
    const policy = policyFile?.policy ?? bundledPolicy();
    this.flowRulesNeeded = flowRulesNeeded(policy);
    for (const warning of policyWarnings(policy)) {
      Annotations.of(this).addWarningV2('workmail-rewrite:policy', warning);
    }
    const stack = Stack.of(this);
    warnOutsideWorkMailRegions(this, stack.region);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const messageArns = stack.formatArn({
      service: 'workmailmessageflow',
      resource: 'message',
      resourceName: `${props.organizationId}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    this.bucket = mailBucket(this, 'MessageBucket', {
      bucketName: props.bucketName,
      expiryRule: 'ExpireRewrittenMessages',
      days: 1,
      removalPolicy,
      encryptionKey: props.encryptionKey,
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WorkMailReadsRewrittenMessages',
        principals: [new iam.ServicePrincipal(`workmail.${stack.region}.amazonaws.com`)],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects(`${this.keyPrefix}*`)],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': messageArns },
          Bool: { 'aws:SecureTransport': 'true' },
        },
      }),
    );
    if (props.keepOriginalDays !== undefined) {
      // No WorkMail read grant: WorkMail never reads originals; whoever audits them needs an IAM
      // grant of their own.
      this.originalBucket = mailBucket(this, 'OriginalBucket', {
        expiryRule: 'ExpireOriginalMessages',
        days: props.keepOriginalDays,
        removalPolicy,
        encryptionKey: props.encryptionKey,
      });
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'WorkMail rewrite rule: reads and replaces the organization messages in transit',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndReplaceOrganizationMessages',
        actions: [
          'workmailmessageflow:GetRawMessageContent',
          'workmailmessageflow:PutRawMessageContent',
        ],
        resources: [messageArns],
      }),
    );
    allowStoring(role, 'StoreRewrittenMessages', this.bucket.arnForObjects(`${this.keyPrefix}*`));
    if (this.originalBucket) {
      allowStoring(
        role,
        'KeepOriginalMessages',
        this.originalBucket.arnForObjects(`${this.keyPrefix}*`),
      );
    }

    if (props.encryptionKey) {
      allowMessageEncryption(this, {
        key: props.encryptionKey,
        role,
        buckets: [this.bucket, ...(this.originalBucket ? [this.originalBucket] : [])],
        keyPrefix: this.keyPrefix,
        messageArns,
      });
    }

    acknowledgeWildcardResource(
      role,
      messageArns,
      'Message ids are not known in advance; the resource is narrowed to this organization (message/<orgId>/*)',
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPOSITORY_ROOT, 'lambda', 'handler.ts'),
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: join(REPOSITORY_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // WorkMail waits 15 s for the answer, cold start included: leave room for the start.
      timeout: Duration.seconds(12),
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrency === 'unreserved'
        ? {}
        : {
            reservedConcurrentExecutions: props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY,
          }),
      role,
      logGroup,
      environment: {
        [ENV.bucket]: this.bucket.bucketName,
        [ENV.keyPrefix]: this.keyPrefix,
        ...(this.originalBucket ? { [ENV.originalBucket]: this.originalBucket.bucketName } : {}),
      },
      bundling: {
        // The SDK goes into the bundle: it pins the version the tests ran against.
        bundleAwsSDK: true,
        externalModules: [],
        minify: true,
        format: OutputFormat.CJS,
        // Runs on the Lambda runtime and on the Node 20 used for local checks of the bundle.
        target: 'node20',
        forceDockerBundling: false,
        // A company policy replaces the repository's in the bundle. esbuild is spawned without a
        // shell (local bundling), so the JSON needs no quoting.
        ...(policyFile ? { define: { [POLICY_DEFINE]: JSON.stringify(policyFile.json) } } : {}),
      },
    });
    this.alias = new lambda.Alias(this, 'LiveAlias', {
      aliasName: 'live',
      version: this.function.currentVersion,
    });
    this.alias.addPermission('WorkMailInvoke', {
      principal: new iam.ServicePrincipal(`workmail.${stack.region}.amazonaws.com`),
      sourceArn: stack.formatArn({
        service: 'workmail',
        resource: 'organization',
        resourceName: props.organizationId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
      sourceAccount: stack.account,
    });
    this.operations = new RewriteOperations(this, 'Operations', this.alias, props.alarms);
    if (props.invocationWatch) {
      const watch = new InvocationWatch(this, 'InvocationWatch', this.alias, props.invocationWatch);
      const { topic } = this.operations;
      if (topic) for (const alarm of watch.alarms) alarm.addAlarmAction(new SnsAction(topic));
    }
  }
}

/**
 * A bucket for copies of mail: private, SSE-S3 (the Message Flow API's samples use it; WorkMail
 * reading SSE-KMS objects is undocumented) or SSE-KMS with the given key, TLS only, emptied
 * after `days`.
 */
function mailBucket(
  scope: Construct,
  id: string,
  options: {
    bucketName?: string;
    expiryRule: string;
    days: number;
    removalPolicy: RemovalPolicy;
    encryptionKey?: kms.IKey;
  },
): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    bucketName: options.bucketName,
    ...(options.encryptionKey
      ? {
          encryption: s3.BucketEncryption.KMS,
          encryptionKey: options.encryptionKey,
          // One data key per bucket instead of a KMS call per object.
          bucketKeyEnabled: true,
        }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [
      {
        id: options.expiryRule,
        expiration: Duration.days(options.days),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.removalPolicy === RemovalPolicy.DESTROY,
  });
  acknowledgeRule(
    bucket,
    'S1',
    `Server access logs would keep a second trace of private mail copies that live ${options.days === 1 ? 'one day' : `${options.days} days`}; CloudTrail data events can be turned on where audits need them`,
  );
  return bucket;
}

/** Lets the function stream objects to `objects` (an ARN pattern under one bucket's prefix). */
function allowStoring(role: iam.Role, sid: string, objects: string): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid,
      // Uploads stream in parts (lib-storage), and a failed one is aborted.
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [objects],
    }),
  );
  acknowledgeWildcardResource(
    role,
    objects,
    'Object keys are invocation ids, not known in advance; the resource is narrowed to the prefix of this bucket',
  );
}

/** What is wrong with an organization id, as the end of a sentence naming it; undefined if nothing. */
export function organizationIdProblem(value: string): string | undefined {
  return ORGANIZATION_ID_PATTERN.test(value)
    ? undefined
    : `must be m- followed by 32 lower-case hex digits, got ${JSON.stringify(value)}`;
}

/** What is wrong with a bucket name, as the end of a sentence naming it; undefined if nothing. */
export function bucketNameProblem(value: string): string | undefined {
  return BUCKET_NAME_PATTERN.test(value)
    ? undefined
    : `must be 3-63 characters of a-z, 0-9 and - (no dots: the Message Flow API refuses them), got ${JSON.stringify(value)}`;
}

function validateProps(props: WorkMailRewriteFunctionProps): void {
  const organizationProblem = organizationIdProblem(props.organizationId);
  if (organizationProblem) throw new Error(`organizationId ${organizationProblem}`);
  const { bucketName } = props;
  const bucketProblem =
    bucketName !== undefined && !Token.isUnresolved(bucketName) && bucketNameProblem(bucketName);
  if (bucketProblem) throw new Error(`bucketName ${bucketProblem}`);
  const concurrency = props.reservedConcurrency;
  if (
    concurrency !== undefined &&
    concurrency !== 'unreserved' &&
    !(Number.isInteger(concurrency) && concurrency >= 1)
  ) {
    throw new Error(
      `reservedConcurrency must be a whole number from 1 or 'unreserved', got ${concurrency}`,
    );
  }
  const days = props.keepOriginalDays;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_KEEP_DAYS)) {
    throw new Error(
      `keepOriginalDays must be a whole number of days from 1 to ${MAX_KEEP_DAYS}, got ${days}`,
    );
  }
}

function warnOutsideWorkMailRegions(scope: Construct, region: string): void {
  if (Token.isUnresolved(region)) return;
  if (!(WORKMAIL_REGIONS as readonly string[]).includes(region)) {
    Annotations.of(scope).addWarningV2(
      'workmail-rewrite:region',
      `WorkMail runs in ${WORKMAIL_REGIONS.join(', ')}; the function must be in the organization's region, not ${region}`,
    );
  }
}
