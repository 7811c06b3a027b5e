/**
 * `npm run rewrite -- [--policy <file>] [--direction INBOUND|OUTBOUND] [--from <address>]
 *   [--to <address> ...] [--invocation-id <id>] < in.eml > out.eml`
 *
 * The rewrite engine and the policy alone: no AWS client, no emulator. Writes the message as the
 * function would put it (the same bytes as replay's rewritten file for the same event), and a
 * one-line summary on stderr. How an admin tries a policy on one message, and how the engine can
 * serve other mail paths (a content filter, another gateway).
 */
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { bundledPolicy, POLICY_PATH } from '../lambda/policy/bundled-policy';
import { PolicyError } from '../lambda/policy/load-policy';
import { headDecision } from '../lambda/policy/plan';
import { RewriteDeclinedError, startRewrite } from '../lambda/rewrite';
import type { FlowDirection, WorkMailRunLambdaEvent } from '../lambda/workmail';
import { readPolicyFile, UsageError } from './policy-file';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' },
      direction: { type: 'string', default: 'INBOUND' },
      from: { type: 'string', default: 'sender@outside.example' },
      to: { type: 'string', multiple: true },
      'invocation-id': { type: 'string', default: 'local-rewrite' },
    },
  });
  const direction = values.direction?.toUpperCase();
  if (direction !== 'INBOUND' && direction !== 'OUTBOUND')
    throw new UsageError('--direction must be INBOUND or OUTBOUND');
  const policy = values.policy ? readPolicyFile(values.policy) : bundledPolicy();
  const event: WorkMailRunLambdaEvent = {
    summaryVersion: '2018-10-10',
    envelope: {
      mailFrom: { address: values.from ?? '' },
      recipients: (
        values.to ?? [`someone@${policy.organizationDomains[0]?.replace('*.', '')}`]
      ).map((address) => ({ address })),
    },
    subject: '',
    messageId: 'local-rewrite',
    invocationId: values['invocation-id'] ?? 'local-rewrite',
    flowDirection: direction as FlowDirection,
    truncated: false,
  };
  const rewrite = startRewrite(process.stdin, {
    marker: { header: policy.markerHeader, value: event.invocationId },
  });
  const decision = await rewrite.head.then(
    (head) => headDecision(policy, event, head.headers, undefined),
    // The same failure comes out of `done`, below.
    () => undefined,
  );
  if (decision) rewrite.apply(decision.content);
  await pipeline(rewrite.output, process.stdout);
  const report = await rewrite.done;
  const changed = report.parts
    .filter((p) => p.change === 'rewritten')
    .map((p) => `${p.part} ${p.contentType} +${p.added?.join('+')}`);
  process.stderr.write(
    `rewrite: policy ${values.policy ?? POLICY_PATH}; rules ${JSON.stringify(decision?.rules ?? [])}; subject ${report.subject}; parts ${changed.join(', ') || 'none'}; ${report.bytesIn} -> ${report.bytesOut} bytes\n`,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    const known =
      error instanceof UsageError ||
      error instanceof PolicyError ||
      error instanceof RewriteDeclinedError;
    const message = error instanceof Error ? error.message.split('\n').join(' ') : String(error);
    process.stderr.write(known ? `rewrite: ${message}\n` : `rewrite failed: ${message}\n`);
    process.exitCode = 1;
  });
}
