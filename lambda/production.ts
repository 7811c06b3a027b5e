import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { s3MessageStore, sdkMessageFlow } from './aws/adapters';
import { createAwsClients } from './aws/clients';
import { readConfig } from './config';
import { METRICS, powertoolsMetrics } from './metrics';
import type { Policy } from './policy/schema';
import { type RuleDeps, type RuleResult, runRule } from './run-rule';

/**
 * The function's production wiring: configuration from `env`, the SDK clients (their endpoints
 * from the environment as the SDK reads it), Powertools' logger and metrics, and the policy.
 * The Lambda entry point uses it with the bundled policy; replay uses it with the one it is given.
 *
 * `adapt` lets replay swap a port (its read-only mode keeps the real Get and records the Put).
 *
 * @throws ConfigError at once, naming the variable, when the configuration is bad
 */
export function productionRule(
  env: NodeJS.ProcessEnv,
  policy: Policy,
  adapt: (deps: RuleDeps) => RuleDeps = (deps) => deps,
) {
  const config = readConfig(env);
  const logger = new Logger({ serviceName: METRICS.service });
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
  const clients = createAwsClients();
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
