import { PolicyError, parsePolicy } from '../../lambda/policy/load-policy';
import { RewriteDeclinedError } from '../../lambda/rewrite';
import { EXIT_REFUSED, EXIT_USAGE, failureReport, helpText, UsageError } from '../../local/cli';

describe('the local commands’ conventions', () => {
  it('lists every option with its value, default and repetition in --help', () => {
    const text = helpText({
      name: 'demo',
      description: 'Does a thing.',
      positionals: '[file]',
      options: {
        out: { type: 'string', value: '<dir>', default: 'out', help: 'Where to write' },
        to: { type: 'string', value: '<address>', multiple: true, help: 'A recipient' },
        json: { type: 'boolean', default: false, help: 'One JSON object' },
      },
      examples: ['npm run demo -- x.json'],
    });
    expect(text).toBe(
      [
        'Usage: npm run demo -- [file] [options]',
        '',
        'Does a thing.',
        '',
        'Options:',
        '  --out <dir>     Where to write (default: out)',
        '  --to <address>  A recipient (repeatable)',
        '  --json          One JSON object',
        '  --help, -h      Print this help and exit.',
        '',
        'Examples:',
        '  npm run demo -- x.json',
        '',
        'Exit codes: 0 success, 1 input refused or the command failed, 2 usage error.',
        '',
      ].join('\n'),
    );
  });

  it('reports a usage error with exit code 2', () => {
    expect(failureReport('demo', new UsageError('--out is missing'))).toEqual({
      code: EXIT_USAGE,
      line: 'demo: --out is missing',
    });
  });

  it('reports every problem of an invalid policy on one line, exit code 1', () => {
    let error: unknown;
    try {
      parsePolicy({ organizationDomains: 'corp.example', rules: [{}] }, 'my.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const report = failureReport('demo', error);
    expect(report.code).toBe(EXIT_REFUSED);
    expect(report.line).toMatch(
      /^demo: my\.json is invalid: organizationDomains: .+; rules\[0\]\.name: .+$/,
    );
    expect(report.line).not.toContain('\n');
  });

  it('names the reason of a declined message', () => {
    expect(
      failureReport('demo', new RewriteDeclinedError('bare-cr', 'a bare CR in part 2')),
    ).toEqual({
      code: EXIT_REFUSED,
      line: 'demo: the engine declines this message (declined-bare-cr): a bare CR in part 2',
    });
  });

  it('reports an unexpected error by its name and message, on one line, without a stack', () => {
    const error = new TypeError('x is not a function\n    at y (z.ts:1:1)');
    expect(failureReport('demo', error)).toEqual({
      code: EXIT_REFUSED,
      line: 'demo failed: TypeError: x is not a function; at y (z.ts:1:1)',
    });
  });
});
