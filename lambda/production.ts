import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { s3MessageStore, sdkMessageFlow } from './aws/adapters';
import { type ClientOverrides, createAwsClients } from './aws/clients';
import { readConfig } from './config';
import { METRICS } from './metric-names';
import { powertoolsMetrics } from './metrics';
import type { Policy } from './policy/schema';
import { type RuleDeps, type RuleResult, runRule } from './rule/run-rule';

/** What replay and tests change in the production wiring. */
export interface ProductionOptions {
  /** Where the SDK clients reach the services (a local S3, the emulator), instead of AWS. */
  clients?: ClientOverrides;
  /** Swaps a port (replay's read-only mode keeps the real Get and records the Put). */
  adapt?: (deps: RuleDeps) => RuleDeps;
}

/**
 * The function's production wiring: configuration from `env`, the SDK clients (with the
 * production settings; their endpoints from `options.clients`, else as the SDK finds them),
 * Powertools' logger and metrics, and the policy. The Lambda entry point uses it with the
 * bundled policy; replay uses it with the one it is given.
 *
 * @throws ConfigError at once, naming the variable, when the configuration is bad
 */
export function productionRule(
  env: NodeJS.ProcessEnv,
  policy: Policy,
  { clients: overrides, adapt = (deps) => deps }: ProductionOptions = {},
) {
  const config = readConfig(env);
  const logger = new Logger({ serviceName: METRICS.service });
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
  const clients = createAwsClients(overrides);
  const deps = adapt({
    messageFlow: sdkMessageFlow(clients.messageFlow),
    store: s3MessageStore(clients.s3, config.bucket),
    ...(config.originalBucket
      ? { originals: s3MessageStore(clients.s3, config.originalBucket) }
      : {}),
    config,
    policy,
    log: logger,
    metrics: powertoolsMetrics(metrics),
    now: Date.now,
  });
  return {
    logger,
    /** The rule's result, or a throw that makes WorkMail retry. */
    run: (
      event: unknown,
      context?: Pick<Context, 'getRemainingTimeInMillis'>,
    ): Promise<RuleResult> => runRule(event, deps, context),
  };
}
