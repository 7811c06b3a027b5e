import policyFile from '../../policy/policy.json';
import { parsePolicy } from './load-policy';
import type { Policy } from './schema';

/** Where the policy lives in the repository; esbuild puts its content into the bundle. */
export const POLICY_PATH = 'policy/policy.json';

/**
 * The repository's policy, validated. It travels inside the function's bundle rather than in an
 * environment variable (Lambda allows 4 KB of those, less than one HTML banner may need).
 */
export function bundledPolicy(): Policy {
  return parsePolicy(policyFile, POLICY_PATH);
}
