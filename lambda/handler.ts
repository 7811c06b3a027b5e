import type { Context } from 'aws-lambda';
import { bundledPolicy } from './policy/bundled-policy';
import { productionRule } from './production';
import type { WorkMailSyncResponse } from './workmail';

// Cold start: a configuration or policy error fails the initialisation loudly, naming the value.
const { run, logger } = productionRule(process.env, bundledPolicy());

/** Entry point for the WorkMail synchronous Run Lambda rule. */
export async function handler(event: unknown, context: Context): Promise<WorkMailSyncResponse> {
  logger.addContext(context);
  return (await run(event, context)).response;
}
