import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { s3MessageStore, sdkMessageFlow } from '../../lambda/aws/adapters';
import type { MessageStore } from '../../lambda/aws/ports';
import { type Config, readConfig } from '../../lambda/config';
import { ENV } from '../../lambda/env-names';
import type { InvocationMeasure } from '../../lambda/metrics';
import type { Policy } from '../../lambda/policy/schema';
import { type RuleDeps, type RuleResult, runRule } from '../../lambda/rule/run-rule';
import { type LocalServices, startLocalServices } from '../../local/local-services';
import type { ContentRules } from '../../local/put-content-rules';
import { testPolicy } from './policies';
import { RecordingLog } from './recording-log';

export interface Harness {
  services: LocalServices;
  log: RecordingLog;
  /** Every invocation's metrics measure, in order. */
  measures: InvocationMeasure[];
  config: Config;
  run(payload: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<RuleResult>;
  /** An object of the message bucket, or of another one. */
  readObject(key: string, bucket?: string): Promise<Buffer>;
}

/**
 * The real rule wired to the production adapters and SDK clients, pointed at a local S3 server
 * and the Message Flow emulator over HTTP.
 */
export interface HarnessOptions {
  /** The clock the rule reads (timings and its time budget). */
  now?: () => number;
  /** Wraps the store, e.g. to act when the upload starts. */
  store?: (store: MessageStore) => MessageStore;
  /** Reach S3 through a proxy that injects faults (`services.s3Faults`). */
  s3Faults?: boolean;
  /** Create the bucket that `ORIGINAL_BUCKET` names (leave it out to see the upload fail). */
  createOriginalBucket?: boolean;
  /** The emulator's content rules: `documented` (default), or also the assumed ones. */
  contentRules?: ContentRules;
  /** An S3 already running (moto_server) instead of a new s3rver. */
  s3Endpoint?: string;
}

export async function startHarness(
  env: NodeJS.ProcessEnv = {},
  policy: Policy = testPolicy(),
  options: HarnessOptions = {},
): Promise<Harness> {
  // Engine tests use minimal messages (no From or Date): only the documented rules apply here.
  const services = await startLocalServices({
    s3Faults: options.s3Faults ?? false,
    contentRules: options.contentRules ?? 'documented',
    ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
  });
  const log = new RecordingLog();
  const measures: InvocationMeasure[] = [];
  const config = readConfig({ [ENV.bucket]: services.bucket, ...env });
  if (config.originalBucket && (options.createOriginalBucket ?? true)) {
    await services.clients.s3.send(new CreateBucketCommand({ Bucket: config.originalBucket }));
  }
  const deps: RuleDeps = {
    messageFlow: sdkMessageFlow(services.clients.messageFlow),
    store: (options.store ?? ((store) => store))(
      s3MessageStore(services.clients.s3, config.bucket),
    ),
    config,
    policy,
    log,
    metrics: { record: (measure) => measures.push(measure) },
    now: options.now ?? Date.now,
    ...(config.originalBucket
      ? { originals: s3MessageStore(services.clients.s3, config.originalBucket) }
      : {}),
  };
  return {
    services,
    log,
    measures,
    config,
    run: (payload, context) => runRule(payload, deps, context),
    async readObject(key, bucket = config.bucket) {
      const object = await services.clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key }),
      );
      return Buffer.from(
        await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray(),
      );
    },
  };
}
