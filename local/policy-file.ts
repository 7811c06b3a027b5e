import { readPolicyFile as readPolicyFileFromDisk } from '../lambda/policy/policy-file';
import type { Policy } from '../lambda/policy/schema';

/** A command-line mistake: reported as one line, exit code 1. */
export class UsageError extends Error {}

/** Reads a policy file and validates it as the function would (PolicyError names each problem). */
export function readPolicyFile(path: string): Policy {
  return readPolicyFileFromDisk(path).policy;
}
