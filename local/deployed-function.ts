import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENV } from '../lambda/env-names';
import { UsageError } from './policy-file';

/** The function as the stack deploys it: its bundled code and the environment the stack sets. */
export interface DeployedFunction {
  bundlePath: string;
  /** Values are strings, or CloudFormation expressions (`{ "Ref": ... }`) resolved at deploy. */
  environment: Record<string, unknown>;
  /** The stack's template, as synthesized. */
  template: Template;
}

export interface Template {
  Resources?: Record<string, TemplateResource>;
}

export interface TemplateResource {
  Type: string;
  Properties: {
    [property: string]: unknown;
    Handler?: string;
    Code?: { S3Key?: unknown };
    Environment?: { Variables?: Record<string, unknown> };
  };
}

/**
 * Finds the rule's function in a synthesized cloud assembly (`cdk.out`): the Lambda function whose
 * environment names the message bucket (CDK's own helper functions set none).
 */
export function findDeployedFunction(assemblyDir: string): DeployedFunction {
  if (!existsSync(assemblyDir)) {
    throw new UsageError(`${assemblyDir} does not exist: run \`npm run synth\` first`);
  }
  const templates = readdirSync(assemblyDir).filter((name) => name.endsWith('.template.json'));
  for (const name of templates) {
    const template = JSON.parse(readFileSync(join(assemblyDir, name), 'utf8')) as Template;
    for (const resource of Object.values(template.Resources ?? {})) {
      const variables = resource.Properties?.Environment?.Variables;
      if (resource.Type !== 'AWS::Lambda::Function' || !variables?.[ENV.bucket]) continue;
      const key = resource.Properties.Code?.S3Key;
      const [file = 'index', exported = 'handler'] = (resource.Properties.Handler ?? '').split('.');
      if (typeof key !== 'string' || exported !== 'handler') {
        throw new UsageError(`${name}: the function's code or handler is not an esbuild bundle`);
      }
      const bundlePath = resolve(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, `${file}.js`);
      if (!existsSync(bundlePath)) {
        throw new UsageError(`${bundlePath} does not exist: synthesize with bundling enabled`);
      }
      return { bundlePath, environment: variables, template };
    }
  }
  throw new UsageError(`no template in ${assemblyDir} has the rule's function`);
}

/**
 * The stack's environment with what only a deployment knows filled in locally: each bucket
 * variable names its local bucket (`buckets`, by variable). Any other expression cannot be
 * resolved here and is an error naming the variable.
 */
export function localEnvironment(
  environment: Record<string, unknown>,
  buckets: Record<string, string>,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    const bucket = buckets[name];
    if (typeof value === 'string') resolved[name] = value;
    else if (bucket) resolved[name] = bucket;
    else {
      throw new UsageError(
        `the stack sets ${name} from ${JSON.stringify(value)}, which replay cannot resolve`,
      );
    }
  }
  return resolved;
}
