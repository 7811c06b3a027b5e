import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { ENV } from '../../lambda/env-names';
import { productionRule } from '../../lambda/production';
import type { RuleDeps } from '../../lambda/rule/run-rule';
import { type LocalServices, startLocalServices } from '../../local/local-services';
import { testPolicy } from '../helpers/policies';

const ORIGINALS = 'workmail-originals-local';

describe('productionRule', () => {
  let services: LocalServices;

  beforeAll(async () => {
    services = await startLocalServices();
    await services.clients.s3.send(new CreateBucketCommand({ Bucket: ORIGINALS }));
  });

  afterAll(async () => {
    await services.close();
  });

  function depsFor(env: NodeJS.ProcessEnv): RuleDeps {
    let captured: RuleDeps | undefined;
    productionRule({ [ENV.bucket]: services.bucket, ...env }, testPolicy(), {
      // The production wiring builds its own clients, pointed at the local services.
      clients: services.overrides,
      adapt: (deps) => {
        captured = deps;
        return deps;
      },
    });
    if (!captured) throw new Error('productionRule did not build its deps');
    return captured;
  }

  it('keeps no originals when ORIGINAL_BUCKET is not set', () => {
    expect(depsFor({}).originals).toBeUndefined();
  });

  it('stores originals in the bucket ORIGINAL_BUCKET names', async () => {
    const { originals } = depsFor({ [ENV.originalBucket]: ORIGINALS });
    const stored = await originals?.put('rewritten/inv-1', Readable.from([Buffer.from('raw')]));
    expect(stored).toEqual({ bucket: ORIGINALS, key: 'rewritten/inv-1' });
    const object = await services.clients.s3.send(
      new GetObjectCommand({ Bucket: ORIGINALS, Key: 'rewritten/inv-1' }),
    );
    expect(await object.Body?.transformToString()).toBe('raw');
  });
});
