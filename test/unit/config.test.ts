import { DEFAULTS, readConfig } from '../../lambda/config';
import { ENV } from '../../lambda/env-names';
import { ConfigError } from '../../lambda/errors';
import { objectKeyFor } from '../../lambda/object-key';
import { localEnvironment } from '../../local/deployed-function';

describe('readConfig', () => {
  it('fills the defaults when only the bucket is set', () => {
    expect(readConfig({ [ENV.bucket]: 'mail-rewrite-123' })).toEqual({
      bucket: 'mail-rewrite-123',
      keyPrefix: DEFAULTS.keyPrefix,
    });
  });

  it('reads the originals bucket when it is set, and leaves it out when absent or empty', () => {
    expect(readConfig({ [ENV.bucket]: 'b-1', [ENV.originalBucket]: 'originals-1' })).toEqual({
      bucket: 'b-1',
      keyPrefix: DEFAULTS.keyPrefix,
      originalBucket: 'originals-1',
    });
    expect(readConfig({ [ENV.bucket]: 'b-1', [ENV.originalBucket]: '' })).not.toHaveProperty(
      'originalBucket',
    );
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readConfig({ [ENV.bucket]: 'b-1' }))).toBe(true);
  });

  it.each([
    [{}, `environment variable ${ENV.bucket} is required`],
    [
      { [ENV.bucket]: 'my.bucket' },
      `environment variable ${ENV.bucket} must be 3-63 characters of a-z, 0-9 and - (no dots), got "my.bucket"`,
    ],
    [
      { [ENV.bucket]: 'b-1', [ENV.keyPrefix]: 'mail_out/' },
      `environment variable ${ENV.keyPrefix} must be letters, digits, - and / only, got "mail_out/"`,
    ],
    [
      { [ENV.bucket]: 'b-1', [ENV.originalBucket]: 'Originals_1' },
      `environment variable ${ENV.originalBucket} must be 3-63 characters of a-z, 0-9 and - (no dots), got "Originals_1"`,
    ],
    [
      { [ENV.bucket]: 'b-1', [ENV.originalBucket]: 'b-1' },
      `environment variable ${ENV.originalBucket} must name another bucket than ${ENV.bucket}, got "b-1" for both`,
    ],
  ])('fails with a message naming the variable (%o)', (env, message) => {
    expect(() => readConfig(env)).toThrow(new ConfigError(message));
  });
});

describe('objectKeyFor', () => {
  it('uses the invocation id as it is when the API pattern allows it', () => {
    expect(objectKeyFor('rewritten/', '6f1e2d3c4b5a69788796a5b4c3d2e1f0')).toBe(
      'rewritten/6f1e2d3c4b5a69788796a5b4c3d2e1f0',
    );
  });

  it('hashes an id with characters the API pattern refuses, the same way every time', () => {
    const key = objectKeyFor('rewritten/', 'abc_def.123');
    expect(key).toMatch(/^rewritten\/sha256-[0-9a-f]{64}$/);
    expect(objectKeyFor('rewritten/', 'abc_def.123')).toBe(key);
    expect(key).toMatch(/^[a-zA-Z0-9\-/]*$/);
  });
});

describe('the deployed function’s environment, for replay --bundle', () => {
  it('fills in the bucket and keeps the stack’s own values', () => {
    expect(
      localEnvironment(
        {
          [ENV.bucket]: { Ref: 'MessageBucket' },
          [ENV.originalBucket]: { Ref: 'OriginalBucket' },
          NODE_OPTIONS: '--x',
        },
        { [ENV.bucket]: 'local', [ENV.originalBucket]: 'local-originals' },
      ),
    ).toEqual({
      [ENV.bucket]: 'local',
      [ENV.originalBucket]: 'local-originals',
      NODE_OPTIONS: '--x',
    });
  });

  it('names a variable that only a deployment could resolve', () => {
    expect(() => localEnvironment({ TOPIC: { Ref: 'Alarms' } }, { [ENV.bucket]: 'local' })).toThrow(
      'the stack sets TOPIC from {"Ref":"Alarms"}, which replay cannot resolve',
    );
  });
});
