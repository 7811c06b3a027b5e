import policyFile from '../../policy/policy.json';
import { parsePolicy } from './load-policy';
import type { Policy } from './schema';

/** Where the policy lives in the repository; esbuild puts its content into the bundle. */
export const POLICY_PATH = 'policy/policy.json';

/**
 * The name the CDK app gives, through esbuild's `define`, to the content of a policy file kept
 * outside the repository (`-c policyFile=...`). Undefined when running from the sources.
 */
export const POLICY_DEFINE = 'MAIL_REWRITE_POLICY';
declare const MAIL_REWRITE_POLICY: unknown;

/** What the bundled policy is called in errors when it came from `-c policyFile`. */
const DEFINED_POLICY_SOURCE = 'the policy file bundled with -c policyFile';

/**
 * The function's policy, validated: the company's own file when the stack was built with one,
 * else the repository's. It travels inside the function's bundle rather than in an environment
 * variable (Lambda allows 4 KB of those, less than one HTML banner may need).
 */
export function bundledPolicy(): Policy {
  if (typeof MAIL_REWRITE_POLICY !== 'undefined') {
    return parsePolicy(MAIL_REWRITE_POLICY, DEFINED_POLICY_SOURCE);
  }
  return parsePolicy(policyFile, POLICY_PATH);
}
