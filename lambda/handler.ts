import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { s3MessageStore, sdkMessageFlow } from './aws-adapters';
import { createAwsClients } from './aws-clients';
import { readConfig } from './config';
import { createHandler } from './run-rule';
import type { WorkMailSyncResponse } from './workmail';

// Cold start: a configuration error fails the initialisation loudly, naming the variable.
const config = readConfig(process.env);
const logger = new Logger({ serviceName: 'workmail-rewrite-rule' });
const clients = createAwsClients();
const run = createHandler({
  messageFlow: sdkMessageFlow(clients.messageFlow),
  store: s3MessageStore(clients.s3, config.bucket),
  config,
  log: logger,
  now: Date.now,
});

/** Entry point for the WorkMail synchronous Run Lambda rule. */
export async function handler(event: unknown, context: Context): Promise<WorkMailSyncResponse> {
  logger.addContext(context);
  return run(event);
}
