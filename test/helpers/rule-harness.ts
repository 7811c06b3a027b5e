import { GetObjectCommand } from '@aws-sdk/client-s3';
import { s3MessageStore, sdkMessageFlow } from '../../lambda/aws-adapters';
import { type Config, readConfig } from '../../lambda/config';
import { ENV } from '../../lambda/env-names';
import type { Policy } from '../../lambda/policy/schema';
import { type RuleDeps, type RuleResult, runRule } from '../../lambda/run-rule';
import { type LocalServices, startLocalServices } from '../../local/local-services';
import { testPolicy } from './policies';
import { RecordingLog } from './recording-log';

export interface Harness {
  services: LocalServices;
  log: RecordingLog;
  config: Config;
  run(payload: unknown): Promise<RuleResult>;
  readObject(key: string): Promise<Buffer>;
}

/**
 * The real rule wired to the production adapters and SDK clients, pointed at a local S3 server
 * and the Message Flow emulator over HTTP.
 */
export async function startHarness(
  env: NodeJS.ProcessEnv = {},
  policy: Policy = testPolicy(),
): Promise<Harness> {
  const services = await startLocalServices();
  const log = new RecordingLog();
  const config = readConfig({ [ENV.bucket]: services.bucket, ...env });
  const deps: RuleDeps = {
    messageFlow: sdkMessageFlow(services.clients.messageFlow),
    store: s3MessageStore(services.clients.s3, config.bucket),
    config,
    policy,
    log,
    now: Date.now,
  };
  return {
    services,
    log,
    config,
    run: (payload) => runRule(payload, deps),
    async readObject(key) {
      const object = await services.clients.s3.send(
        new GetObjectCommand({ Bucket: config.bucket, Key: key }),
      );
      return Buffer.from(
        await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray(),
      );
    },
  };
}
