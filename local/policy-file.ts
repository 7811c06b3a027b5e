import { existsSync } from 'node:fs';
import { readPolicyFile as readPolicyFileFromDisk } from '../lambda/policy/policy-file';
import { policyWarnings } from '../lambda/policy/policy-warnings';
import type { Policy } from '../lambda/policy/schema';
import { UsageError } from './cli';

/**
 * Reads a policy file given on the command line and validates it as the function would: a path
 * that names nothing is a usage error; a file that is not a valid policy, a PolicyError naming
 * each problem. Risky but valid choices are warned about on stderr.
 */
export function readPolicyFile(path: string): Policy {
  if (!existsSync(path)) throw new UsageError(`policy file ${path} does not exist`);
  const { policy } = readPolicyFileFromDisk(path);
  for (const warning of policyWarnings(policy)) {
    process.stderr.write(`${path}: warning: ${warning}\n`);
  }
  return policy;
}
