/**
 * Projects: unit tests need no network; integration tests start local servers on 127.0.0.1;
 * corpus tests run the engine over real-world mail fetched by local/fetch-corpus.sh; infra tests
 * synthesize the CDK stack.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
  // parse5 ships ES modules only; jest's loader on Node 20 needs them as CommonJS.
  '/node_modules/(parse5|entities)/.+\\.js$': [
    '@swc/jest',
    { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(parse5|entities)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  // A floor sized for a 2-core CI machine with the other core busy (Jest's 5 s default fails there
  // on tests that are merely slow); the heaviest tests set their own (test/helpers/timeouts.ts).
  // Jest reads this from the global configuration only, not per project.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testEnvironment: '<rootDir>/test/helpers/node-errors-environment.js',
      setupFiles: ['<rootDir>/test/helpers/quiet-sdk.ts'],
    },
    {
      ...common,
      displayName: 'corpus',
      testMatch: ['<rootDir>/test/corpus/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'infra',
      testMatch: ['<rootDir>/test/infra/**/*.test.ts'],
      setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
    },
  ],
};
