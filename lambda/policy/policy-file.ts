import { readFileSync } from 'node:fs';
import { PolicyError, parsePolicy } from './load-policy';
import type { Policy } from './schema';

/** A policy file as read from disk: its JSON as written (what gets bundled) and its validated form. */
export interface PolicyFile {
  readonly json: unknown;
  readonly policy: Policy;
}

/**
 * Reads a policy file and validates it as the function's cold start would. For the CDK app and
 * the local tools; the function itself never reads files (its policy is bundled).
 *
 * @throws PolicyError naming the file when it is missing, unreadable or not JSON, and every
 *   invalid field by its path
 */
export function readPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolicyError(
      code === 'ENOENT'
        ? `policy file ${path} does not exist`
        : `policy file ${path} cannot be read (${code ?? (error as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(
      `policy file ${path} cannot be read as JSON: ${(error as Error).message}`,
    );
  }
  return { json, policy: parsePolicy(json, path) };
}
