import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PolicyError } from '../lambda/policy/load-policy';
import { ParameterError, readParameters } from './parameters';
import { WorkMailRewriteStack } from './workmail-rewrite-stack';

const app = new App();
try {
  const { stackName, ...parameters } = readParameters(app.node, process.env.CDK_DEFAULT_REGION);
  new WorkMailRewriteStack(app, stackName, {
    ...parameters,
    // Environment-agnostic unless the CLI knows the account and region (cdk deploy does).
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: 'WorkMail synchronous Run Lambda rule that rewrites messages in transit',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (!(error instanceof ParameterError || error instanceof PolicyError)) throw error;
  console.error(`error: ${error.message}`);
  process.exit(1);
}
