import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GetRawMessageContentCommand,
  InvalidContentLocation,
  MessageFrozen,
  MessageRejected,
  PutRawMessageContentCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-workmailmessageflow';
import { type LocalServices, startLocalServices } from '../../local/local-services';
import { MODELLED_ERRORS, type ModelledError } from '../../local/message-flow-emulator';

const CLASSES = {
  ResourceNotFoundException,
  MessageRejected,
  MessageFrozen,
  InvalidContentLocation,
};
const MESSAGE = Buffer.from('Subject: hi\r\n\r\nbody\r\n');

describe('MessageFlowEmulator, through the real SDK client', () => {
  let services: LocalServices;

  beforeEach(async () => {
    services = await startLocalServices();
    services.emulator.addMessage('msg-1', MESSAGE);
  });

  afterEach(async () => {
    await services.close();
  });

  async function storeObject(key: string, body: Buffer) {
    await services.clients.s3.send(
      new PutObjectCommand({ Bucket: services.bucket, Key: key, Body: body }),
    );
  }

  function put(key: string, bucket = services.bucket) {
    return services.clients.messageFlow.send(
      new PutRawMessageContentCommand({
        messageId: 'msg-1',
        content: { s3Reference: { bucket, key } },
      }),
    );
  }

  it('serves the raw message as a stream', async () => {
    const output = await services.clients.messageFlow.send(
      new GetRawMessageContentCommand({ messageId: 'msg-1' }),
    );
    expect(
      Buffer.from((await output.messageContent?.transformToByteArray()) ?? []).equals(MESSAGE),
    ).toBe(true);
  });

  it('reads a Put’s object back from S3 and serves it on the next Get', async () => {
    const updated = Buffer.from('Subject: updated\r\n\r\nbody\r\n');
    await storeObject('rewritten/abc', updated);

    await put('rewritten/abc');

    expect(services.emulator.updates).toEqual([
      {
        messageId: 'msg-1',
        s3Reference: { bucket: services.bucket, key: 'rewritten/abc' },
        content: updated,
      },
    ]);
    const output = await services.clients.messageFlow.send(
      new GetRawMessageContentCommand({ messageId: 'msg-1' }),
    );
    expect(
      Buffer.from((await output.messageContent?.transformToByteArray()) ?? []).equals(updated),
    ).toBe(true);
  });

  it.each(Object.keys(MODELLED_ERRORS) as ModelledError[])(
    'answers an injected %s that the SDK decodes to its own class',
    async (error) => {
      services.emulator.failNext('put', { kind: 'error', error, message: 'injected text' });
      const failure = await put('rewritten/abc').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(CLASSES[error]);
      expect(failure).toMatchObject({
        message: 'injected text',
        $metadata: { httpStatusCode: MODELLED_ERRORS[error] },
      });
    },
  );

  it('answers ResourceNotFoundException for an unknown message', async () => {
    const failure = services.clients.messageFlow.send(
      new GetRawMessageContentCommand({ messageId: 'unknown' }),
    );
    await expect(failure).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers InvalidContentLocation when the object is not in the bucket', async () => {
    await expect(put('rewritten/missing')).rejects.toBeInstanceOf(InvalidContentLocation);
  });

  it('answers MessageRejected for a line over 1,000 characters', async () => {
    await storeObject('rewritten/long', Buffer.from(`Subject: x\r\n\r\n${'a'.repeat(999)}\r\n`));
    await expect(put('rewritten/long')).rejects.toThrow(
      new MessageRejected({ message: 'Line 3 exceeds 1000 characters', $metadata: {} }),
    );
  });

  it('answers MessageRejected for a bare LF line end', async () => {
    await storeObject('rewritten/lf', Buffer.from('Subject: x\r\n\r\nline\nmore\r\n'));
    await expect(put('rewritten/lf')).rejects.toThrow('Line 3 ends with a bare LF');
  });

  it('answers ValidationException for a key outside the API pattern', async () => {
    await expect(put('rewritten/x.eml')).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses a request that is not signed for workmailmessageflow', async () => {
    const response = await fetch(`${services.emulator.endpoint}/messages/msg-1`);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toMatch(
      /^MissingAuthenticationTokenException:/,
    );
  });
});
