/**
 * What the local commands (replay, rewrite, emulator) share: `--help` generated from the options
 * themselves, the exit codes, and one line on stderr for every failure, never a stack trace.
 *
 * Exit codes: 0 success, 1 the input was refused (an invalid event or policy, a message the
 * engine declines) or the command failed, 2 a usage error (unknown option, bad value, a file or
 * folder that does not exist).
 */
import { type ParseArgsOptionDescriptor, parseArgs } from 'node:util';
import { ConfigError } from '../lambda/errors';
import { PolicyError } from '../lambda/policy/load-policy';
import { RewriteDeclinedError } from '../lambda/rewrite';

export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake: an unknown option, a bad value, a file that does not exist. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The input was read and refused (an invalid event, an id that cannot name a file). Exit 1. */
export class InputRefusedError extends Error {
  override name = 'InputRefusedError';
}

/** One option: what `parseArgs` needs, and what `--help` says about it. */
export interface CliOption extends ParseArgsOptionDescriptor {
  /** What the option does, one line. */
  readonly help: string;
  /** The value's placeholder in `--help`, e.g. `<file>`; none for booleans. */
  readonly value?: string;
}

export interface CommandSpec<O extends Record<string, CliOption>> {
  /** The npm script, e.g. `rewrite`. */
  readonly name: string;
  /** What the command does, a few lines. */
  readonly description: string;
  /** Positional arguments in the synopsis, e.g. `[event.json]`; none allowed when absent. */
  readonly positionals?: string;
  readonly options: O;
  /** Command lines that work on a fresh clone, each with a comment. */
  readonly examples: readonly string[];
}

/** The `--help` text: synopsis, description, every option with its default, examples. */
export function helpText<O extends Record<string, CliOption>>(spec: CommandSpec<O>): string {
  const rows = Object.entries(spec.options).map(([name, option]) => {
    const flag = `--${name}${option.value ? ` ${option.value}` : ''}`;
    const repeat = option.multiple ? ' (repeatable)' : '';
    const fallback =
      option.default === undefined || option.default === false
        ? ''
        : ` (default: ${String(option.default)})`;
    return [flag, `${option.help}${repeat}${fallback}`] as const;
  });
  rows.push(['--help, -h', 'Print this help and exit.']);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `Usage: npm run ${spec.name} -- ${spec.positionals ? `${spec.positionals} ` : ''}[options]`,
    '',
    spec.description,
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    '',
    'Examples:',
    ...spec.examples.map((example) => `  ${example}`),
    '',
    'Exit codes: 0 success, 1 input refused or the command failed, 2 usage error.',
    '',
  ].join('\n');
}

/**
 * Parses the command line strictly. `--help` prints the help (on stdout) and gives `undefined`;
 * an unknown option, a missing value or an unexpected positional is a UsageError.
 */
export function parseCommandLine<const O extends Record<string, CliOption>>(
  spec: CommandSpec<O>,
  argv: string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
) {
  const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as never;
  } catch (error) {
    // Node's ERR_PARSE_ARGS_* errors say what was wrong in one line.
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${(error as Error).message.split('\n')[0]} (see --help)`);
    }
    throw error;
  }
  if ((parsed.values as { help?: boolean }).help) {
    out(helpText(spec));
    return undefined;
  }
  if (!spec.positionals && parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument ${parsed.positionals[0]} (see --help)`);
  }
  return parsed;
}

/**
 * For `--json`: from now on, whatever else writes to stdout (the function's log and metric
 * lines) goes to stderr, and the returned writer alone reaches stdout, for the one JSON object.
 */
export function reserveStdout(): (text: string) => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return (text) => {
    write(text);
  };
}

/** A hint for the failures of the AWS SDK that a missing setup causes, or undefined. */
export function awsSetupHint(error: Error): string | undefined {
  // The SDK sets these names itself, so they survive any bundling.
  if (error.name === 'CredentialsProviderError') {
    return 'no AWS credentials found: run aws configure (or aws sso login), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (error.name === 'ExpiredTokenException' || error.name === 'ExpiredToken') {
    return 'the AWS credentials have expired: sign in again (aws sso login) or renew them';
  }
  // The SDK's words when no region is configured, or an empty or malformed one.
  if (/^Region is missing|^Region not accepted/.test(error.message)) {
    return "no valid AWS region: set AWS_REGION to the WorkMail organization's region (us-east-1, us-west-2 or eu-west-1)";
  }
  return undefined;
}

/** The exit code and the one line for an error that ends a command. */
export function failureReport(name: string, error: unknown): { code: number; line: string } {
  if (!(error instanceof Error)) return { code: EXIT_REFUSED, line: `${name} failed: ${error}` };
  // A PolicyError lists one problem per indented line: `file is invalid: a; b`.
  const oneLine = (text: string) => text.replace(/:\n\s+/, ': ').replace(/\n\s*/g, '; ');
  if (error instanceof UsageError) return { code: EXIT_USAGE, line: `${name}: ${error.message}` };
  if (error instanceof RewriteDeclinedError) {
    return {
      code: EXIT_REFUSED,
      line: `${name}: the engine declines this message (declined-${error.reason}): ${oneLine(error.message)}`,
    };
  }
  const refused =
    error instanceof InputRefusedError ||
    error instanceof PolicyError ||
    error instanceof ConfigError;
  if (refused) return { code: EXIT_REFUSED, line: `${name}: ${oneLine(error.message)}` };
  const hint = awsSetupHint(error);
  if (hint) return { code: EXIT_REFUSED, line: `${name}: ${hint}` };
  return { code: EXIT_REFUSED, line: `${name} failed: ${error.name}: ${oneLine(error.message)}` };
}

/** Runs a command's main function; any failure ends it with one line on stderr and its code. */
export function runCommand(name: string, main: () => Promise<void>): void {
  // Inside the promise, so that a usage error in the arguments gets the same one-line report.
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      const { code, line } = failureReport(name, error);
      process.stderr.write(`${line}\n`);
      process.exitCode = code;
    });
}
