import { S3Client } from '@aws-sdk/client-s3';
import { WorkMailMessageFlowClient } from '@aws-sdk/client-workmailmessageflow';

/** Where to reach the services instead of AWS, for local replay and tests. */
export interface ClientOverrides {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  s3Endpoint?: string;
  messageFlowEndpoint?: string;
}

export interface AwsClients {
  s3: S3Client;
  messageFlow: WorkMailMessageFlowClient;
}

// One retry inside the function; WorkMail retries the whole invocation after that.
const MAX_ATTEMPTS = 2;

/**
 * The SDK clients with the settings production uses. Tests and replay pass only endpoints,
 * region and credentials, so they exercise exactly these settings. Checksums stay at the SDK
 * default: uploads go through lib-storage, which sends each part as a buffer, so the CRC32
 * travels in a header rather than an aws-chunked trailer (which s3rver would store verbatim).
 */
export function createAwsClients(overrides: ClientOverrides = {}): AwsClients {
  const common = {
    maxAttempts: MAX_ATTEMPTS,
    ...(overrides.region ? { region: overrides.region } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  };
  return {
    s3: new S3Client({
      ...common,
      ...(overrides.s3Endpoint ? { endpoint: overrides.s3Endpoint, forcePathStyle: true } : {}),
    }),
    messageFlow: new WorkMailMessageFlowClient({
      ...common,
      ...(overrides.messageFlowEndpoint ? { endpoint: overrides.messageFlowEndpoint } : {}),
    }),
  };
}
