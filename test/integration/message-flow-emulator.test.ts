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
const TOP = 'From: a@partner.example\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n';
const ORG = 'm-0123456789abcdef0123456789abcdef';
const MESSAGE = Buffer.from(`${TOP}Subject: hi\r\n\r\nbody\r\n`);

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
    const updated = Buffer.from(`${TOP}Subject: updated\r\n\r\nbody\r\n`);
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

  const multipart = (boundary: string, end: string) =>
    `${TOP}Content-Type: multipart/mixed; boundary=${boundary}\r\n\r\n--x\r\n\r\npart\r\n${end}`;
  it.each([
    [
      'a line over 1,000 octets',
      `${TOP}\r\n${'a'.repeat(999)}\r\n`,
      'Line 4 exceeds 1000 characters',
    ],
    ['a bare LF line end', `${TOP}\r\nline\nmore\r\n`, 'Line 4 ends with a bare LF'],
    ['a bare CR', `${TOP}\r\nline\rmore\r\n`, 'Line 4 contains a bare CR'],
    [
      'no From (assumed)',
      'Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nx\r\n',
      'Missing required header: from (assumed rule)',
    ],
    [
      'no Date (assumed)',
      'From: a@partner.example\r\n\r\nx\r\n',
      'Missing required header: date (assumed rule)',
    ],
    [
      'a duplicated Subject (assumed)',
      `${TOP}Subject: a\r\nSubject: b\r\n\r\nx\r\n`,
      'Header subject may appear only once (assumed rule)',
    ],
    [
      'a multipart without its closing delimiter (assumed)',
      multipart('x', '--x\r\n\r\nmore\r\n'),
      'A multipart/mixed part is not closed (assumed rule)',
    ],
    [
      'a multipart without a boundary (assumed)',
      `${TOP}Content-Type: multipart/mixed\r\n\r\nx\r\n`,
      'A multipart/mixed part has no boundary (assumed rule)',
    ],
    [
      '8-bit text declared 7bit (assumed)',
      `${TOP}Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\u00e9\r\n`,
      '8-bit content in a part declared 7bit (assumed rule)',
    ],
  ])('answers MessageRejected for %s', async (_case, content, text) => {
    await storeObject('rewritten/bad', Buffer.from(content));
    const failure = await put('rewritten/bad').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MessageRejected);
    expect(failure).toMatchObject({ message: text });
  });

  it.each([
    ['a closed multipart', multipart('x', '--x--\r\n')],
    ['8-bit text declared 8bit', `${TOP}Content-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n`],
  ])('accepts %s', async (_case, content) => {
    await storeObject('rewritten/good', Buffer.from(content));
    await expect(put('rewritten/good')).resolves.toBeDefined();
  });

  it('applies only the documented rules when asked to', async () => {
    await services.close();
    services = await startLocalServices({ contentRules: 'documented' });
    services.emulator.addMessage('msg-1', MESSAGE);
    await storeObject('rewritten/no-from', Buffer.from('Subject: x\r\n\r\nx\r\n'));
    await expect(put('rewritten/no-from')).resolves.toBeDefined();
  });

  it('answers InvalidContentLocation for another bucket', async () => {
    await storeObject('rewritten/abc', MESSAGE);
    await expect(put('rewritten/abc', 'other-bucket')).rejects.toBeInstanceOf(
      InvalidContentLocation,
    );
  });

  describe('with a bucket policy to enforce', () => {
    const identity = { region: 'us-east-1', account: '111122223333', organizationId: ORG };
    const policyFor = (organizationId: string, messages = '*') => ({
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'workmail.us-east-1.amazonaws.com' },
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: `arn:aws:s3:::${services.bucket}/rewritten/*`,
          Condition: {
            StringEquals: { 'aws:SourceAccount': identity.account },
            ArnLike: {
              'aws:SourceArn': `arn:aws:workmailmessageflow:us-east-1:${identity.account}:message/${organizationId}/${messages}`,
            },
          },
        },
      ],
    });

    it('reads the object when the policy lets WorkMail read it', async () => {
      // Prepare
      services.emulator.enforceAccess({
        identity,
        bucketPolicies: { [services.bucket]: policyFor(ORG) },
      });
      await storeObject('rewritten/abc', MESSAGE);
      // Act, Assess
      await expect(put('rewritten/abc')).resolves.toBeDefined();
      expect(services.emulator.accessDenials).toEqual([]);
    });

    it('answers InvalidContentLocation, before reading, when the policy names another organization', async () => {
      // Prepare
      services.emulator.enforceAccess({
        identity,
        bucketPolicies: { [services.bucket]: policyFor('m-ffffffffffffffffffffffffffffffff') },
      });
      await storeObject('rewritten/abc', MESSAGE);
      // Act
      const failure = await put('rewritten/abc').catch((error: Error) => error);
      // Assess
      expect(failure).toBeInstanceOf(InvalidContentLocation);
      expect((failure as Error).message).toMatch(/ArnLike aws:SourceArn/);
      expect(services.emulator.message('msg-1')?.equals(MESSAGE)).toBe(true);
    });

    it('presents the outgoing message ARN for outbound mail', async () => {
      // Prepare: a policy that only admits incoming messages
      services.emulator.enforceAccess({
        identity,
        bucketPolicies: { [services.bucket]: policyFor(ORG, 'incoming/*') },
      });
      services.emulator.addMessage('msg-1', MESSAGE, 'OUTBOUND');
      await storeObject('rewritten/abc', MESSAGE);
      // Act, Assess
      await expect(put('rewritten/abc')).rejects.toBeInstanceOf(InvalidContentLocation);
      expect(services.emulator.accessDenials[0]).toContain(`message/${ORG}/outgoing/msg-1`);
    });

    it('answers InvalidContentLocation for a bucket without a policy', async () => {
      services.emulator.enforceAccess({ identity, bucketPolicies: {} });
      await storeObject('rewritten/abc', MESSAGE);
      await expect(put('rewritten/abc')).rejects.toBeInstanceOf(InvalidContentLocation);
    });
  });

  it.each(['rewritten/x.eml', 'rewritten/x_y'])(
    'answers ValidationException for the key %s, outside the API pattern',
    async (key) => {
      await expect(put(key)).rejects.toMatchObject({ name: 'ValidationException' });
    },
  );

  it('refuses a request that is not signed for workmailmessageflow', async () => {
    const response = await fetch(`${services.emulator.endpoint}/messages/msg-1`);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toMatch(
      /^MissingAuthenticationTokenException:/,
    );
  });
});
