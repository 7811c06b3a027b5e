import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { s3MessageStore, sdkMessageFlow } from './aws-adapters';
import { createAwsClients } from './aws-clients';
import { readConfig } from './config';
import { METRICS, powertoolsMetrics } from './metrics';
import { bundledPolicy } from './policy/bundled-policy';
import { createHandler } from './run-rule';
import type { WorkMailSyncResponse } from './workmail';

// Cold start: a configuration or policy error fails the initialisation loudly, naming the value.
const config = readConfig(process.env);
const policy = bundledPolicy();
const logger = new Logger({ serviceName: METRICS.service });
const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
const clients = createAwsClients();
const run = createHandler({
  messageFlow: sdkMessageFlow(clients.messageFlow),
  store: s3MessageStore(clients.s3, config.bucket),
  config,
  policy,
  log: logger,
  metrics: powertoolsMetrics(metrics),
  now: Date.now,
});

/** Entry point for the WorkMail synchronous Run Lambda rule. */
export async function handler(event: unknown, context: Context): Promise<WorkMailSyncResponse> {
  logger.addContext(context);
  return run(event, context);
}
