import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { WorkMailRewriteFunction } from '../../infra/workmail-rewrite-function';
import { METRICS } from '../../lambda/metric-names';
import { ORG_ID, synthStack } from '../helpers/synth';

const REGION = 'eu-west-1';

describe('operations', () => {
  const template = synthStack({ region: REGION }).template();

  it('lets WorkMail invoke the live alias, so that a release rolls back by moving it', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { Ref: Match.stringLikeRegexp('LiveAlias') },
      Principal: `workmail.${REGION}.amazonaws.com`,
    });
    template.hasOutput('FunctionArn', { Value: { Ref: Match.stringLikeRegexp('LiveAlias') } });
  });

  it('raises four alarms with their default thresholds and no notification', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: Record<string, unknown> }).Properties,
    );
    expect(alarms.map((a) => [a.MetricName, a.Statistic, a.Threshold, a.Period])).toEqual([
      ['Errors', 'Sum', 1, 300],
      [METRICS.fallbacks, 'Sum', 5, 300],
      ['Duration', 'Maximum', 10_000, 300],
      ['Throttles', 'Sum', 1, 300],
    ]);
    expect(
      alarms.every((a) => a.TreatMissingData === 'notBreaching' && a.AlarmActions === undefined),
    ).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRICS.fallbacks,
      Namespace: METRICS.namespace,
      Dimensions: [{ Name: 'service', Value: METRICS.service }],
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('shows the metrics on a dashboard', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(
      (dashboard as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody,
    );
    for (const name of [
      METRICS.messages,
      METRICS.reasons,
      METRICS.budgetLeftMs,
      METRICS.fallbacks,
      METRICS.retries,
    ]) {
      expect(body).toContain(name);
    }
    expect(body).toContain(`SEARCH('{${METRICS.namespace},Direction,Outcome,service}`);
  });

  it('sends alarms to an e-mail address through a TLS-only topic when one is given', () => {
    const withEmail = synthStack({
      region: REGION,
      alarmEmail: 'mail-admin@corp.example',
    }).template();
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'mail-admin@corp.example',
    });
    withEmail.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    const alarms = Object.values(withEmail.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.every((a) => JSON.stringify(a).includes('AlarmTopic'))).toBe(true);
  });

  it('passes cdk-nag with the alarm topic', () => {
    const { app } = synthStack({
      region: REGION,
      alarmEmail: 'mail-admin@corp.example',
      nag: true,
    });
    expect(() => app.synth()).not.toThrow();
  });

  it('reserves 20 concurrent invocations by default, another number or none when asked', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 20,
    });
    synthStack({ region: REGION, reservedConcurrency: 50 })
      .template()
      .hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 50 });
    synthStack({ region: REGION, reservedConcurrency: 'unreserved' })
      .template()
      .hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        ReservedConcurrentExecutions: Match.absent(),
      });
  });
});

describe('WorkMailRewriteFunction in another app’s stack', () => {
  it('brings the function, bucket, permissions, alarms and dashboard, with thresholds it is given', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'SomeoneElsesStack', {
      env: { account: '444455556666', region: 'us-west-2' },
    });

    const rewrite = new WorkMailRewriteFunction(stack, 'MailRewrite', {
      organizationId: ORG_ID,
      bucketName: 'acme-mail-rewrite',
      reservedConcurrency: 5,
      alarms: { fallbacks: 50, durationMs: 8000 },
    });

    const template = Template.fromStack(stack);
    expect(rewrite.alias.aliasName).toBe('live');
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'acme-mail-rewrite' });
    const [permission] = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(permission).toMatchObject({
      Properties: { Principal: 'workmail.us-west-2.amazonaws.com', SourceAccount: '444455556666' },
    });
    // Without cdk.json's flags the partition stays a token: the ARN is a join of the same parts.
    expect(JSON.stringify(permission)).toMatch(
      /:workmail:us-west-2:444455556666:organization\/m-0123456789abcdef0123456789abcdef/,
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRICS.fallbacks,
      Threshold: 50,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Threshold: 8000,
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
