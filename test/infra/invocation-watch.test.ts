import { Match } from 'aws-cdk-lib/assertions';
import { WATCH_METRICS } from '../../infra/invocation-watch';
import { METRICS } from '../../lambda/metric-names';
import { synthStack } from '../helpers/synth';

const REGION = 'eu-west-1';
const LOG_GROUP = '/aws/workmail/acme-events';

type Alarm = {
  Properties: { AlarmName?: string; Metrics?: { Id: string; Expression?: string }[] };
};

function watchAlarms(template: ReturnType<ReturnType<typeof synthStack>['template']>) {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
    .filter(([id]) => id.includes('InvocationWatch'))
    .map(([id, alarm]) => ({
      id,
      expression: (alarm as Alarm).Properties.Metrics?.find((m) => m.Expression)?.Expression,
      threshold: (alarm as { Properties: { Threshold: number } }).Properties.Threshold,
    }));
}

describe('the invocation watch', () => {
  it('is absent without an event log group', () => {
    const template = synthStack({ region: REGION }).template();
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(watchAlarms(template)).toEqual([]);
  });

  it('counts received mail and alarms when it arrives with no invocation', () => {
    const template = synthStack({ region: REGION, eventLogGroup: LOG_GROUP }).template();
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: LOG_GROUP,
      FilterPattern: '{ $.event.eventName = "ORGANIZATION_EMAIL_RECEIVED" }',
      MetricTransformations: [
        {
          MetricNamespace: METRICS.namespace,
          MetricName: WATCH_METRICS.mailReceived,
          MetricValue: '1',
        },
      ],
    });
    expect(watchAlarms(template)).toEqual([
      {
        id: expect.stringMatching(/NotInvoked/),
        expression: 'IF(FILL(arrived, 0) >= 3 AND FILL(invocations, 0) == 0, 1, 0)',
        threshold: 1,
      },
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          Id: 'invocations',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'Invocations', Namespace: 'AWS/Lambda' }),
            Period: 900,
            Stat: 'Sum',
          }),
        }),
      ]),
    });
  });

  it('counts the rule’s own events when named, and alarms on WorkMail’s fallbacks too', () => {
    const template = synthStack({
      region: REGION,
      eventLogGroup: LOG_GROUP,
      ruleName: 'Warn external',
      alarmEmail: 'mail-admin@corp.example',
    }).template();
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern:
        '{ ($.event.eventName = "RULE_APPLIED") && ($.event.ruleName = "Warn external") }',
      MetricTransformations: [Match.objectLike({ MetricName: WATCH_METRICS.ruleApplied })],
    });
    expect(watchAlarms(template)).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/NotInvoked/), threshold: 1 }),
      {
        id: expect.stringMatching(/WorkMailFallbacks/),
        expression: 'FILL(arrived, 0) - (FILL(invocations, 0) - FILL(errors, 0))',
        threshold: 5,
      },
    ]);
    // Both go to the alarm topic with the others.
    const withActions = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(
      ([id, alarm]) =>
        id.includes('InvocationWatch') &&
        (alarm as { Properties: { AlarmActions?: unknown[] } }).Properties.AlarmActions?.length,
    );
    expect(withActions).toHaveLength(2);
  });

  it('passes cdk-nag', () => {
    const { app } = synthStack({
      region: REGION,
      eventLogGroup: LOG_GROUP,
      ruleName: 'r',
      nag: true,
    });
    expect(() => app.synth()).not.toThrow();
  });
});
