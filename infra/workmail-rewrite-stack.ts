import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { Parameters } from './parameters';
import { WorkMailRewriteFunction } from './workmail-rewrite-function';

/** The project's deployable stack: the rewrite function construct and the outputs an admin needs. */
export class WorkMailRewriteStack extends Stack {
  readonly rewrite: WorkMailRewriteFunction;

  constructor(scope: Construct, id: string, props: StackProps & Omit<Parameters, 'stackName'>) {
    super(scope, id, props);
    const { alarmEmail, kmsKeyArn, eventLogGroup, ruleName, ...rewriteProps } = props;
    this.rewrite = new WorkMailRewriteFunction(this, 'Rewrite', {
      ...rewriteProps,
      ...(alarmEmail ? { alarms: { email: alarmEmail } } : {}),
      ...(kmsKeyArn ? { encryptionKey: kms.Key.fromKeyArn(this, 'MessageKey', kmsKeyArn) } : {}),
      ...(eventLogGroup
        ? {
            invocationWatch: {
              eventLogGroupName: eventLogGroup,
              ...(ruleName ? { ruleName } : {}),
            },
          }
        : {}),
    });
    new CfnOutput(this, 'FunctionArn', {
      description:
        'Enter this ARN (the live alias) in the WorkMail rule; roll back by moving the alias',
      value: this.rewrite.alias.functionArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard of the rule',
      value: this.rewrite.operations.dashboard.dashboardName,
    });
    new CfnOutput(this, 'BucketName', {
      description: 'Holds rewritten messages until WorkMail reads them; they expire after a day',
      value: this.rewrite.bucket.bucketName,
    });
    if (this.rewrite.originalBucket) {
      new CfnOutput(this, 'OriginalBucketName', {
        description: `Keeps the untouched original of each message, under the same key as its rewritten copy, for ${props.keepOriginalDays} days`,
        value: this.rewrite.originalBucket.bucketName,
      });
    }
    new CfnOutput(this, 'NextStep', {
      description: 'There is no API for flow rules: attach the function in the WorkMail console',
      value:
        'WorkMail console > your organization > Organization settings > Inbound rules > Create: ' +
        'Action "Run Lambda", tick "Run synchronously", enter FunctionArn (the live alias), ' +
        'Sender domains or addresses "*" and Destination "*" (a synchronous rule takes only *), ' +
        'Fallback action (what WorkMail does when it cannot get an answer): "Deliver to junk folder" ' +
        'for the inbound rule (outside mail that missed its warning goes to junk, not the inbox), ' +
        '"Default" for an outbound rule (sent without its footer rather than stopped), ' +
        'Rule timeout 5-10 minutes (how long WorkMail retries a failed call). ' +
        'Then turn on email event logging (Monitoring settings) and run npm run smoke. ' +
        'docs/deployment.md has details.',
    });
  }
}
