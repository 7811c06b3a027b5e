/**
 * Jest runs tests in a separate V8 realm, so errors raised by Node's own modules (a reset socket,
 * an aborted response) are not `instanceof Error` for code loaded in the test. The AWS SDK's retry
 * middleware then wraps them as "AWS SDK error wrapper for ..." and drops their `code`, which
 * never happens in Lambda. Sharing the error constructors of Node's realm restores production
 * behaviour for the integration tests.
 */
const { TestEnvironment } = require('jest-environment-node');

const ERROR_CONSTRUCTORS = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError'];

class NodeErrorsEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ERROR_CONSTRUCTORS) this.global[name] = globalThis[name];
  }
}

module.exports = NodeErrorsEnvironment;
