import { existsSync } from 'node:fs';
import { readPolicyFile as readPolicyFileFromDisk } from '../lambda/policy/policy-file';
import type { Policy } from '../lambda/policy/schema';
import { UsageError } from './cli';

/**
 * Reads a policy file given on the command line and validates it as the function would: a path
 * that names nothing is a usage error; a file that is not a valid policy, a PolicyError naming
 * each problem.
 */
export function readPolicyFile(path: string): Policy {
  if (!existsSync(path)) throw new UsageError(`policy file ${path} does not exist`);
  return readPolicyFileFromDisk(path).policy;
}
