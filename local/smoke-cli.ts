/**
 * `npm run smoke -- [--stack <name>] [--region <region>] [--message-id <id>]`
 *
 * Checks a deployed stack with your AWS credentials, read-only. See `--help`.
 */
import { parseArgs } from 'node:util';
import { runSmoke, smokeClients } from './smoke';

const HELP = `Usage: npm run smoke -- [--stack <name>] [--region <region>] [--message-id <id>]

Checks the deployed stack with your AWS credentials (profile, environment or SSO), read-only.
Each check, and the permission it needs:
  stack              the stack's FunctionArn and BucketName outputs
                     cloudformation:DescribeStacks
  alias              the live alias points at a published version
                     lambda:GetAlias
  invoke permission  WorkMail of the organization may invoke the alias
                     lambda:GetPolicy
  organization       the organization is Active in the stack's region
                     workmail:DescribeOrganization
  bucket policy      WorkMail may read a rewritten message (bucket in the same region)
                     s3:GetBucketLocation, s3:GetBucketPolicy
  bucket encryption  SSE-S3, or a KMS key WorkMail may decrypt with (a warning: unverified)
                     s3:GetEncryptionConfiguration, kms:GetKeyPolicy
  event logging      WorkMail's email event logging is on (a warning when off)
                     workmail:DescribeEmailMonitoringConfiguration
  message outcome    with --message-id: the function's logged outcome for that message
                     lambda:GetFunctionConfiguration, logs:FilterLogEvents

Send a test mail, take its messageId from the function's log or the event (the Lambda event's
messageId, not the Message-ID header), and give it with --message-id.

Options:
  --stack <name>       the stack name (default WorkMailRewriteRule, or -c stackName at deploy)
  --region <region>    the stack's region (default: your AWS configuration's)
  --message-id <id>    a message that went through the rule in the last 24 hours
  --help               this text

Exit code 0 when no check failed (warnings allowed), 1 otherwise.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      stack: { type: 'string', default: 'WorkMailRewriteRule' },
      region: { type: 'string' },
      'message-id': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const checks = await runSmoke(smokeClients(values.region), {
    stackName: values.stack ?? 'WorkMailRewriteRule',
    now: Date.now(),
    ...(values['message-id'] ? { messageId: values['message-id'] } : {}),
  });
  for (const check of checks) {
    console.log(`${check.status.toUpperCase().padEnd(4)}  ${check.name}: ${check.detail}`);
  }
  if (checks.some((check) => check.status === 'fail')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`smoke: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
