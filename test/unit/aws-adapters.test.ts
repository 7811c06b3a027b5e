import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { WorkMailMessageFlowClient } from '@aws-sdk/client-workmailmessageflow';
import { s3MessageStore, sdkMessageFlow } from '../../lambda/aws/adapters';
import { ServiceError } from '../../lambda/aws/port-errors';
import { OutOfTimeError } from '../../lambda/time-budget';

describe('sdkMessageFlow', () => {
  it('fails with a retryable message-body-missing error when the Get output has no body', async () => {
    // No real server can make the SDK return no stream at all, so a stand-in client answers.
    const client = {
      send: async () => ({ $metadata: {} }),
    } as unknown as WorkMailMessageFlowClient;
    const failure = await sdkMessageFlow(client)
      .getRawMessage('msg-1')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceError);
    expect(failure).toMatchObject({ code: 'message-body-missing' });
  });
});

describe('s3MessageStore', () => {
  it('refuses to start an upload once the budget has run out, and reads nothing', async () => {
    // An aborted signal never calls a listener added later: the check must come first.
    const client = {
      send: async () => {
        throw new Error('no request may be sent');
      },
    } as unknown as S3Client;
    const body = new PassThrough();
    const signal = AbortSignal.abort(new OutOfTimeError('the budget ran out'));

    await expect(s3MessageStore(client, 'bucket').put('key', body, signal)).rejects.toThrow(
      'the budget ran out',
    );
    expect(body.readableFlowing).toBeNull();
  });
});
