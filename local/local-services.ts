import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { type AwsClients, type ClientOverrides, createAwsClients } from '../lambda/aws/clients';
import { MessageFlowEmulator } from './message-flow-emulator';
import type { ContentRules } from './put-content-rules';
import { S3FaultProxy } from './s3-fault-proxy';
import { type LocalS3, S3RVER_CREDENTIALS, startS3Server } from './s3-server';

/** The bucket the local S3 server starts with. */
export const LOCAL_BUCKET = 'workmail-rewrite-local';
/** The region the local services and their clients use. */
export const LOCAL_REGION = 'us-east-1';

export interface LocalServices {
  /** The clients the handler uses, pointed at the local servers. */
  clients: AwsClients;
  /** The same overrides, for code that builds its own clients (e.g. a child process). */
  overrides: Required<ClientOverrides>;
  emulator: MessageFlowEmulator;
  /** Present when started with `s3Faults`: failures and delays for the handler's S3 requests. */
  s3Faults?: S3FaultProxy;
  bucket: string;
  close(): Promise<void>;
}

/**
 * Starts a local S3 server and the Message Flow emulator on 127.0.0.1, and builds the production
 * SDK clients pointed at them. The emulator gets its own S3 client, as WorkMail reads the bucket
 * with its own credentials.
 */
export async function startLocalServices(
  options: {
    keepOriginals?: boolean;
    contentRules?: ContentRules;
    s3Faults?: boolean;
    emulatorPort?: number;
    s3Port?: number;
    /**
     * An S3 already running (e.g. moto_server, which enforces conditional writes) instead of a
     * new s3rver; the bucket is created there, and the server is left running on close.
     */
    s3Endpoint?: string;
  } = {},
): Promise<LocalServices> {
  const s3 = options.s3Endpoint
    ? await externalS3(options.s3Endpoint)
    : await startS3Server([LOCAL_BUCKET], options.s3Port);
  const workmailSide = createAwsClients({
    region: LOCAL_REGION,
    credentials: S3RVER_CREDENTIALS,
    s3Endpoint: s3.endpoint,
  });
  const emulator = await MessageFlowEmulator.start(workmailSide.s3, {
    ...options,
    port: options.emulatorPort,
  });
  // The handler may reach S3 through a fault proxy; WorkMail's side always reads it directly.
  const s3Faults = options.s3Faults ? await S3FaultProxy.start(s3.endpoint) : undefined;
  const overrides = {
    region: LOCAL_REGION,
    credentials: S3RVER_CREDENTIALS,
    s3Endpoint: s3Faults?.endpoint ?? s3.endpoint,
    messageFlowEndpoint: emulator.endpoint,
  };
  const clients = createAwsClients(overrides);
  return {
    clients,
    overrides,
    emulator,
    ...(s3Faults ? { s3Faults } : {}),
    bucket: LOCAL_BUCKET,
    async close() {
      for (const client of [
        clients.s3,
        clients.messageFlow,
        workmailSide.s3,
        workmailSide.messageFlow,
      ]) {
        client.destroy();
      }
      await emulator.close();
      await s3Faults?.close();
      await s3.close();
    },
  };
}

async function externalS3(endpoint: string): Promise<LocalS3> {
  const { s3 } = createAwsClients({
    region: LOCAL_REGION,
    credentials: S3RVER_CREDENTIALS,
    s3Endpoint: endpoint,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET }));
  } catch (error) {
    // Several services may share one server: the bucket is then already there.
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  } finally {
    s3.destroy();
  }
  return { endpoint, close: async () => {} };
}

/**
 * The environment that points the AWS SDK (in this process, a child process, or the AWS CLI) at
 * the local servers: region, the local credentials and the endpoint of each service.
 */
export function sdkEnvironment(overrides: LocalServices['overrides']): Record<string, string> {
  return {
    AWS_REGION: overrides.region,
    AWS_ACCESS_KEY_ID: overrides.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: overrides.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: overrides.s3Endpoint,
    AWS_ENDPOINT_URL_WORKMAILMESSAGEFLOW: overrides.messageFlowEndpoint,
    // Lambda runs Node 22 or 24; this notice only concerns the Node 20 used locally.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
