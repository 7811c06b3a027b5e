import type { z } from 'zod';
import { type Policy, policySchema } from './schema';

/** The policy file is invalid; the message names each bad value's path and what is expected. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    '',
  );
}

function issueText(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys')
    return `${where}: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  // A bad record key: the key's own check says what is expected.
  if (issue.code === 'invalid_key') return `${where}: ${issue.issues[0]?.message ?? issue.message}`;
  return `${where}: ${issue.message}`;
}

/**
 * Validates a parsed policy file and fills its defaults.
 *
 * @param source what to call the file in errors, e.g. `policy/policy.json`
 * @throws PolicyError listing every problem, one per line
 */
export function parsePolicy(value: unknown, source: string): Policy {
  const result = policySchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(issueText);
  throw new PolicyError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
}
