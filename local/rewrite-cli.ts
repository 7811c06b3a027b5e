/**
 * `npm run rewrite -- [options] < in.eml` (see `--help`)
 *
 * The rewrite engine and the policy alone: no AWS client, no emulator. Writes the message as the
 * function would put it (the same bytes as replay's rewritten file for the same event), and a
 * one-line summary on stderr. How an admin tries a policy on one message, and how the engine can
 * serve other mail paths (a content filter, another gateway). Nothing is written unless the
 * rewrite succeeds: a declined message leaves stdout empty and no `--out` file.
 */
import { writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { bundledPolicy, POLICY_PATH } from '../lambda/policy/bundled-policy';
import { headDecision } from '../lambda/policy/plan';
import { startRewrite } from '../lambda/rewrite';
import type { WorkMailRunLambdaEvent } from '../lambda/workmail';
import { type CliOption, type CommandSpec, parseCommandLine, runCommand, UsageError } from './cli';
import { readPolicyFile } from './policy-file';

/** The marker header carries the invocation id: letters, digits and hyphens keep it one token. */
const INVOCATION_ID_PATTERN = /^[A-Za-z0-9-]{1,120}$/;

const SPEC = {
  name: 'rewrite',
  description: [
    'Rewrites one message (read from stdin) with the policy, as the function would: no AWS, no',
    'emulator. The message goes to stdout (or --out), a one-line summary to stderr. When the',
    'engine declines the message, nothing is written and the reason is the one line on stderr.',
    'Use npm run -s (silent) when stdout is the message: npm prints its own banner there.',
  ].join('\n'),
  options: {
    policy: { type: 'string', value: '<file>', help: `Policy file (default: ${POLICY_PATH})` },
    direction: {
      type: 'string',
      value: 'INBOUND|OUTBOUND',
      default: 'INBOUND',
      help: 'Flow direction of the WorkMail rule',
    },
    from: {
      type: 'string',
      value: '<address>',
      default: 'sender@outside.example',
      help: 'Envelope sender',
    },
    to: {
      type: 'string',
      value: '<address>',
      multiple: true,
      help: "Envelope recipient (default: someone@ the policy's first organization domain)",
    },
    'invocation-id': {
      type: 'string',
      value: '<id>',
      default: 'local-rewrite',
      help: 'Invocation id written into the marker header (letters, digits, -)',
    },
    out: {
      type: 'string',
      value: '<file>',
      help: 'Write the message to this file, only if the rewrite succeeds (instead of stdout)',
    },
    json: {
      type: 'boolean',
      default: false,
      help: 'Print the summary as one JSON object on stdout (needs --out for the message)',
    },
  },
  examples: [
    'npm run -s rewrite -- --from a@partner.example < in.eml > out.eml',
    'npm run rewrite -- --direction OUTBOUND --from bob@corp.example --to a@partner.example --out out.eml < in.eml',
    'npm run -s rewrite -- --policy ../mail-policy/company.json --out out.eml --json < in.eml',
  ],
} as const satisfies CommandSpec<Record<string, CliOption>>;

/** Collects a stream, so that nothing is written before the rewrite has succeeded. */
async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(SPEC, argv);
  if (!parsed) return;
  const { values } = parsed;
  const direction = values.direction.toUpperCase();
  if (direction !== 'INBOUND' && direction !== 'OUTBOUND') {
    throw new UsageError('--direction must be INBOUND or OUTBOUND');
  }
  const invocationId = values['invocation-id'];
  if (!INVOCATION_ID_PATTERN.test(invocationId)) {
    throw new UsageError('--invocation-id takes 1-120 letters, digits and hyphens');
  }
  if (values.json && !values.out) {
    throw new UsageError('--json prints the summary on stdout: give --out for the message');
  }
  if (process.stdin.isTTY) {
    throw new UsageError('give the message on stdin: npm run -s rewrite -- [options] < in.eml');
  }
  const policy = values.policy ? readPolicyFile(values.policy) : bundledPolicy();
  const event: WorkMailRunLambdaEvent = {
    summaryVersion: '2018-10-10',
    envelope: {
      mailFrom: { address: values.from },
      recipients: (
        values.to ?? [`someone@${policy.organizationDomains[0]?.replace('*.', '')}`]
      ).map((address) => ({ address })),
    },
    subject: '',
    messageId: 'local-rewrite',
    invocationId,
    flowDirection: direction,
    truncated: false,
  };
  const rewrite = startRewrite(process.stdin, {
    marker: { header: policy.markerHeader, value: invocationId },
  });
  const decision = await rewrite.head.then(
    (head) => headDecision(policy, event, head.headers, undefined),
    // The same failure comes out of `done`, below.
    () => undefined,
  );
  if (decision) rewrite.apply(decision.content);
  const [message, report] = await Promise.all([collect(rewrite.output), rewrite.done]);
  if (values.out) writeFileSync(values.out, message);
  else process.stdout.write(message);
  const summary = {
    policy: values.policy ?? POLICY_PATH,
    rules: decision?.rules ?? [],
    subject: report.subject,
    parts: report.parts
      .filter((p) => p.change === 'rewritten')
      .map((p) => ({ part: p.part, contentType: p.contentType, added: p.added ?? [] })),
    bytesIn: report.bytesIn,
    bytesOut: report.bytesOut,
    ...(values.out ? { out: values.out } : {}),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const changed = summary.parts.map((p) => `${p.part} ${p.contentType} +${p.added.join('+')}`);
  process.stderr.write(
    `rewrite: policy ${summary.policy}; rules ${JSON.stringify(summary.rules)}; subject ${summary.subject}; parts ${changed.join(', ') || 'none'}; ${summary.bytesIn} -> ${summary.bytesOut} bytes\n`,
  );
}

if (require.main === module) runCommand('rewrite', () => main(process.argv.slice(2)));
