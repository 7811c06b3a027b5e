import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DescribeEmailMonitoringConfigurationCommand,
  DescribeOrganizationCommand,
  WorkMailClient,
} from '@aws-sdk/client-workmail';
import { evaluateBucketPolicy, PolicyEvaluationError } from './bucket-policy';
import {
  type WorkMailIdentity,
  workMailDecryptDenial,
  workMailReadDenial,
} from './workmail-access';

/** The read-only clients the smoke test uses, all in the stack's region. */
export interface SmokeClients {
  cloudFormation: CloudFormationClient;
  lambda: LambdaClient;
  s3: S3Client;
  workMail: WorkMailClient;
  logs: CloudWatchLogsClient;
  kms: KMSClient;
}

export interface SmokeOptions {
  stackName: string;
  /** A message that went through the rule: its outcome is read from the function's log. */
  messageId?: string;
  /** Now, in milliseconds since the epoch (log lines are searched back 24 hours from it). */
  now: number;
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  status: CheckStatus;
  name: string;
  detail: string;
}

/** A read the caller's credentials may not make; reported as the IAM action to grant. */
class MissingPermission extends Error {}

/** A check cannot go on, for a reason stated in `message`. */
class CheckFailed extends Error {}

/**
 * Builds the clients from the caller's AWS configuration (profile, environment, SSO); tests
 * point them at a local stand-in with `endpoint` and its credentials.
 */
export function smokeClients(
  region?: string,
  local?: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
): SmokeClients {
  const config = { ...(region ? { region } : {}), ...(local ?? {}), maxAttempts: 1 };
  return {
    cloudFormation: new CloudFormationClient(config),
    lambda: new LambdaClient(config),
    s3: new S3Client(config),
    workMail: new WorkMailClient(config),
    logs: new CloudWatchLogsClient(config),
    kms: new KMSClient(config),
  };
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** The caller has no valid credentials at all: no permission would help. */
const NO_CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
]);

/** Runs `read`, turning an access denial into MissingPermission naming `action` and `resource`. */
async function read<T>(action: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (DENIED.has(name)) {
      throw new MissingPermission(
        `your credentials lack ${action} on ${resource}; grant it to run this check`,
      );
    }
    if (NO_CREDENTIALS.has(name)) {
      throw new CheckFailed(
        `no valid AWS credentials (${name}): sign in (aws sso login, a profile with AWS_PROFILE, or environment keys) and run again`,
      );
    }
    throw error;
  }
}

/**
 * Checks a deployed stack without changing anything: the live alias, WorkMail's permission to
 * invoke it, the organization in the stack's region, the bucket policy as WorkMail's read would
 * meet it, event logging, and (given a messageId) the function's outcome for that message. A
 * check that cannot run says which permission it needs; the others still run.
 */
export async function runSmoke(clients: SmokeClients, options: SmokeOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const attempt = async <T>(
    name: string,
    run: () => Promise<{ detail: string; value: T; status?: CheckStatus }>,
  ) => {
    try {
      const { detail, value, status = 'ok' } = await run();
      checks.push({ status, name, detail });
      return value;
    } catch (error) {
      const known = error instanceof MissingPermission || error instanceof CheckFailed;
      const message = error instanceof Error ? error.message : String(error);
      checks.push({
        status: 'fail',
        name,
        detail: known ? message : `${(error as Error).name ?? 'Error'}: ${message}`,
      });
      return undefined;
    }
  };

  const stack = await attempt('stack', () => readStack(clients, options.stackName));
  if (!stack) return checks;
  const functionName = stack.functionArn.split(':')[6] ?? '';
  const region = await clients.lambda.config.region();

  await attempt('alias', () => checkAlias(clients, functionName));
  const organizationId = await attempt('invoke permission', () =>
    checkInvokePermission(clients, stack.functionArn, region, stack.account),
  );
  if (organizationId) {
    await attempt('organization', () => checkOrganization(clients, organizationId, region));
    const identity = { region, account: stack.account, organizationId };
    await attempt('bucket policy', () => checkBucketPolicy(clients, stack.bucket, identity));
    await attempt('bucket encryption', () => checkEncryption(clients, stack.bucket, identity));
    await attempt('event logging', () => checkEventLogging(clients, organizationId));
  }
  if (options.messageId) {
    const messageId = options.messageId;
    await attempt('message outcome', () =>
      messageOutcome(clients, functionName, messageId, options.now),
    );
  }
  return checks;
}

interface DeployedStack {
  functionArn: string;
  bucket: string;
  account: string;
}

async function readStack(clients: SmokeClients, stackName: string) {
  const output = await read('cloudformation:DescribeStacks', `stack ${stackName}`, () =>
    clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })),
  ).catch((error: Error) => {
    if (error.name === 'ValidationError') {
      throw new CheckFailed(
        `stack ${stackName} does not exist in this region (give --stack and --region)`,
      );
    }
    throw error;
  });
  const [stack] = output.Stacks ?? [];
  const outputs = stack?.Outputs ?? [];
  const value = (key: string) =>
    outputs.find((item: Output) => item.OutputKey === key)?.OutputValue;
  const functionArn = value('FunctionArn');
  const bucket = value('BucketName');
  if (!stack?.StackId || !functionArn || !bucket) {
    throw new CheckFailed(
      `stack ${stackName} has no FunctionArn or BucketName output: is it this project's stack?`,
    );
  }
  const deployed: DeployedStack = {
    functionArn,
    bucket,
    account: stack.StackId.split(':')[4] ?? '',
  };
  return { detail: `${stackName}: function ${functionArn}, bucket ${bucket}`, value: deployed };
}

async function checkAlias(clients: SmokeClients, functionName: string) {
  const alias = await read('lambda:GetAlias', `function ${functionName}`, () =>
    clients.lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: 'live' })),
  );
  if (!alias.FunctionVersion || alias.FunctionVersion === '$LATEST') {
    throw new CheckFailed(
      'alias live points at $LATEST, not a published version: redeploy the stack',
    );
  }
  return { detail: `live points at version ${alias.FunctionVersion}`, value: undefined };
}

const ORGANIZATION_ARN =
  /^arn:aws[a-z-]*:workmail:([a-z0-9-]+):(\d{12}):organization\/(m-[0-9a-f]{32})$/;

/** The organization that may invoke the alias, per its resource policy, evaluated as WorkMail. */
async function checkInvokePermission(
  clients: SmokeClients,
  aliasArn: string,
  region: string,
  account: string,
) {
  const [functionName = '', qualifier = 'live'] = aliasArn.split(':').slice(6);
  const output = await read('lambda:GetPolicy', `function ${functionName}:${qualifier}`, () =>
    clients.lambda.send(new GetPolicyCommand({ FunctionName: functionName, Qualifier: qualifier })),
  ).catch((error: Error) => {
    if (error.name === 'ResourceNotFoundException') {
      throw new CheckFailed(
        `the alias has no resource policy: WorkMail cannot invoke it (redeploy the stack)`,
      );
    }
    throw error;
  });
  const policy = JSON.parse(output.Policy ?? '{}') as unknown;
  const sourceArns = JSON.stringify(policy).match(/arn:aws[a-z-]*:workmail:[^"]+/g) ?? [];
  const organization = sourceArns.map((arn) => ORGANIZATION_ARN.exec(arn)).find(Boolean);
  if (!organization) {
    throw new CheckFailed('the alias policy names no WorkMail organization as its source');
  }
  const [sourceArn = '', arnRegion, , organizationId = ''] = organization;
  if (arnRegion !== region) {
    throw new CheckFailed(
      `the permission is for an organization in ${arnRegion}, the function is in ${region}: WorkMail only invokes functions in its own region`,
    );
  }
  const decision = evaluateOrFail(policy, {
    principal: { service: `workmail.${region}.amazonaws.com` },
    action: 'lambda:InvokeFunction',
    resource: aliasArn,
    context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account },
  });
  if (!decision.allowed) {
    throw new CheckFailed(
      `WorkMail of ${organizationId} may not invoke ${aliasArn}: ${decision.reason}`,
    );
  }
  return {
    detail: `workmail.${region}.amazonaws.com may invoke it for ${organizationId}`,
    value: organizationId,
  };
}

function evaluateOrFail(policy: unknown, request: Parameters<typeof evaluateBucketPolicy>[1]) {
  try {
    return evaluateBucketPolicy(policy, request);
  } catch (error) {
    if (error instanceof PolicyEvaluationError) {
      throw new CheckFailed(`the policy cannot be evaluated here: ${error.message}`);
    }
    throw error;
  }
}

async function checkOrganization(clients: SmokeClients, organizationId: string, region: string) {
  const organization = await read('workmail:DescribeOrganization', organizationId, () =>
    clients.workMail.send(new DescribeOrganizationCommand({ OrganizationId: organizationId })),
  ).catch((error: Error) => {
    if (error.name === 'OrganizationNotFoundException') {
      throw new CheckFailed(
        `organization ${organizationId} is not in ${region}: deploy the stack to the organization's region`,
      );
    }
    throw error;
  });
  if (organization.State !== 'Active') {
    throw new CheckFailed(
      `organization ${organizationId} is ${organization.State ?? 'in no state'}, not Active`,
    );
  }
  return {
    detail: `${organization.Alias ?? organizationId} is Active in ${region}`,
    value: undefined,
  };
}

async function checkBucketPolicy(
  clients: SmokeClients,
  bucket: string,
  identity: WorkMailIdentity,
) {
  const location = await read('s3:GetBucketLocation', `bucket ${bucket}`, () =>
    clients.s3.send(new GetBucketLocationCommand({ Bucket: bucket })),
  );
  // S3 answers no constraint for us-east-1.
  const bucketRegion = location.LocationConstraint || 'us-east-1';
  if (bucketRegion !== identity.region) {
    throw new CheckFailed(
      `bucket ${bucket} is in ${bucketRegion}, the organization in ${identity.region}: WorkMail answers InvalidContentLocation`,
    );
  }
  const output = await read('s3:GetBucketPolicy', `bucket ${bucket}`, () =>
    clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket })),
  ).catch((error: Error) => {
    if (error.name === 'NoSuchBucketPolicy') return { Policy: undefined };
    throw error;
  });
  const access = {
    identity,
    bucketPolicies: output.Policy ? { [bucket]: JSON.parse(output.Policy) as unknown } : {},
  };
  const denial = workMailReadDenial(access, 'smoke-check', 'INBOUND', {
    bucket,
    key: 'rewritten/smoke-check',
  });
  if (denial) throw new CheckFailed(`WorkMail could not read rewritten messages: ${denial}`);
  return {
    detail: `WorkMail of ${identity.organizationId} may read rewritten messages`,
    value: undefined,
  };
}

/**
 * SSE-S3, or SSE-KMS with a key whose policy lets WorkMail decrypt through S3. Even then the
 * check only warns: nothing documents WorkMail reading SSE-KMS objects (a test mail settles it).
 */
async function checkEncryption(clients: SmokeClients, bucket: string, identity: WorkMailIdentity) {
  const output = await read('s3:GetEncryptionConfiguration', `bucket ${bucket}`, () =>
    clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
  );
  const rule =
    output.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  if (rule?.SSEAlgorithm !== 'aws:kms' && rule?.SSEAlgorithm !== 'aws:kms:dsse') {
    return { detail: `${rule?.SSEAlgorithm ?? 'AES256'} (SSE-S3)`, value: undefined };
  }
  const keyId = rule.KMSMasterKeyID;
  if (!keyId) {
    throw new CheckFailed(
      'SSE-KMS with the AWS managed key aws/s3, whose policy cannot grant WorkMail: use SSE-S3 or a customer managed key',
    );
  }
  const key = await read('kms:GetKeyPolicy', `key ${keyId}`, () =>
    clients.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })),
  );
  const denial = workMailDecryptDenial(identity, 'smoke-check', 'INBOUND', bucket, {
    keyArn: keyId,
    keyPolicy: JSON.parse(key.Policy ?? '{}') as unknown,
  });
  if (denial) throw new CheckFailed(`WorkMail could not decrypt rewritten messages: ${denial}`);
  return {
    status: 'warn' as const,
    detail: `SSE-KMS with ${keyId}, whose policy lets WorkMail decrypt through S3; that WorkMail reads SSE-KMS objects is undocumented: confirm with --message-id after a test mail`,
    value: undefined,
  };
}

async function checkEventLogging(clients: SmokeClients, organizationId: string) {
  const output = await read('workmail:DescribeEmailMonitoringConfiguration', organizationId, () =>
    clients.workMail.send(
      new DescribeEmailMonitoringConfigurationCommand({ OrganizationId: organizationId }),
    ),
  ).catch((error: Error) => {
    if (error.name === 'ResourceNotFoundException') return { LogGroupArn: undefined };
    throw error;
  });
  return output.LogGroupArn
    ? { detail: `events go to ${output.LogGroupArn}`, value: undefined }
    : {
        status: 'warn' as const,
        detail:
          'off: WorkMail applies the rule fallback unseen (turn it on in Organization settings, Monitoring)',
        value: undefined,
      };
}

async function messageOutcome(
  clients: SmokeClients,
  functionName: string,
  messageId: string,
  now: number,
) {
  if (!/^[a-z0-9-]{1,120}$/.test(messageId)) {
    throw new CheckFailed(
      `messageId must be 1-120 of a-z, 0-9 and -, got ${JSON.stringify(messageId)}`,
    );
  }
  const configuration = await read(
    'lambda:GetFunctionConfiguration',
    `function ${functionName}`,
    () => clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
  );
  const logGroup = configuration.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
  const found = await read('logs:FilterLogEvents', `log group ${logGroup}`, () =>
    clients.logs.send(
      new FilterLogEventsCommand({
        logGroupName: logGroup,
        filterPattern: `{ $.messageId = "${messageId}" && $.outcome = * }`,
        startTime: now - 24 * 60 * 60 * 1000,
      }),
    ),
  );
  const lines = (found.events ?? []).flatMap((event) => {
    try {
      return [JSON.parse(event.message ?? '') as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const last = lines.filter((line) => typeof line.outcome === 'string').at(-1);
  if (!last) {
    throw new CheckFailed(
      `no outcome logged for ${messageId} in the last 24 hours: WorkMail did not invoke the function for it (check the rule) or the message went through another rule`,
    );
  }
  const reason = typeof last.reason === 'string' ? ` (${last.reason})` : '';
  const rules =
    Array.isArray(last.rules) && last.rules.length ? `; rules: ${last.rules.join(', ')}` : '';
  const detail = `${String(last.outcome)}${reason}${rules}`;
  if (last.outcome === 'delivered-unchanged-after-failure') throw new CheckFailed(detail);
  return { detail, value: undefined };
}
