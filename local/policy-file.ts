import { readFileSync } from 'node:fs';
import { parsePolicy } from '../lambda/policy/load-policy';
import { policyWarnings } from '../lambda/policy/policy-warnings';
import type { Policy } from '../lambda/policy/schema';

/** A command-line mistake: reported as one line, exit code 1. */
export class UsageError extends Error {}

/** Reads a policy file and validates it as the function would (PolicyError names each problem). */
export function readPolicyFile(path: string): Policy {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`policy file ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  const policy = parsePolicy(json, path);
  for (const warning of policyWarnings(policy))
    process.stderr.write(`${path}: warning: ${warning}\n`);
  return policy;
}
