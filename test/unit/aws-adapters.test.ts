import type { WorkMailMessageFlowClient } from '@aws-sdk/client-workmailmessageflow';
import { sdkMessageFlow } from '../../lambda/aws-adapters';
import { MissingMessageBodyError } from '../../lambda/errors';

describe('sdkMessageFlow', () => {
  it('fails with MissingMessageBodyError when the Get output has no body', async () => {
    // No real server can make the SDK return no stream at all, so a stand-in client answers.
    const client = {
      send: async () => ({ $metadata: {} }),
    } as unknown as WorkMailMessageFlowClient;
    await expect(sdkMessageFlow(client).getRawMessage('msg-1')).rejects.toThrow(
      MissingMessageBodyError,
    );
  });
});
