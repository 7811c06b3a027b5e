import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** WorkMail waits this long for a synchronous rule's answer. */
export const WORKMAIL_ANSWER_LIMIT_MS = 15_000;

/** A Lambda context for local runs, with the time WorkMail would leave the function. */
export function localContext(now: () => number = Date.now): Context {
  const deadline = now() + WORKMAIL_ANSWER_LIMIT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'workmail-rewrite-rule-local',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:us-east-1:000000000000:function:workmail-rewrite-rule-local',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/workmail-rewrite-rule-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
