import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS } from '../lambda/metric-names';

/** What the invocation watch reads and when it raises its alarms. */
export interface InvocationWatchOptions {
  /**
   * The log group that WorkMail's email event logging writes to (WorkMail console, Organization
   * settings, Monitoring settings). It must be in the stack's account and region.
   */
  readonly eventLogGroupName: string;
  /**
   * The name of the flow rule that runs the function. With it, mail is counted by the rule's own
   * `RULE_APPLIED` events, and the fallback alarm is possible.
   *
   * @default - mail is counted by `ORGANIZATION_EMAIL_RECEIVED` events (inbound mail), and there
   *   is no fallback alarm
   */
  readonly ruleName?: string;
  /**
   * Messages in 15 minutes, with no invocation at all, that raise the not-invoked alarm.
   *
   * @default 3
   */
  readonly minMessages?: number;
  /**
   * Messages in 15 minutes that the rule handled without a successful invocation (WorkMail's own
   * fallback) that raise the fallback alarm.
   *
   * @default 5
   */
  readonly fallbacks?: number;
}

/** Metric names the watch's metric filters write, in the function's namespace. */
export const WATCH_METRICS = {
  mailReceived: 'WorkMailMailReceived',
  ruleApplied: 'WorkMailRuleApplied',
} as const;

const WINDOW = Duration.minutes(15);

/**
 * Alarms for what the function cannot see itself, from WorkMail's email event log: mail arrives
 * but the function is never invoked (a wrong ARN in the rule, a removed permission, the rule
 * pointing elsewhere), and WorkMail applies the rule's fallback action more than the function
 * answers. Event names and fields come from the admin guide ("CloudWatch Event Logs for Amazon
 * WorkMail", and its Logs Insights examples, which read them under `event.`).
 */
export class InvocationWatch extends Construct {
  readonly alarms: cloudwatch.Alarm[];

  constructor(
    scope: Construct,
    id: string,
    alias: lambda.IFunction,
    options: InvocationWatchOptions,
  ) {
    super(scope, id);
    if (options.ruleName?.includes('"')) {
      throw new Error(`ruleName must not contain a double quote, got ${options.ruleName}`);
    }
    const eventLog = logs.LogGroup.fromLogGroupName(this, 'EventLog', options.eventLogGroupName);
    const eventNamed = (name: string) =>
      logs.FilterPattern.stringValue('$.event.eventName', '=', name);
    const counted = (metricName: string, pattern: logs.IFilterPattern) => {
      new logs.MetricFilter(this, metricName, {
        logGroup: eventLog,
        filterPattern: pattern,
        metricNamespace: METRICS.namespace,
        metricName,
        metricValue: '1',
      });
      return new cloudwatch.Metric({
        namespace: METRICS.namespace,
        metricName,
        statistic: 'Sum',
        period: WINDOW,
      });
    };
    const { ruleName } = options;
    const arrived = ruleName
      ? counted(
          WATCH_METRICS.ruleApplied,
          logs.FilterPattern.all(
            eventNamed('RULE_APPLIED'),
            logs.FilterPattern.stringValue('$.event.ruleName', '=', ruleName),
          ),
        )
      : counted(WATCH_METRICS.mailReceived, eventNamed('ORGANIZATION_EMAIL_RECEIVED'));
    const invocations = alias.metricInvocations({ period: WINDOW, statistic: 'Sum' });
    const errors = alias.metricErrors({ period: WINDOW, statistic: 'Sum' });
    const alarm = (
      name: string,
      expression: cloudwatch.MathExpression,
      threshold: number,
      description: string,
    ) =>
      new cloudwatch.Alarm(this, name, {
        metric: expression,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    const minMessages = options.minMessages ?? 3;
    this.alarms = [
      alarm(
        'NotInvoked',
        new cloudwatch.MathExpression({
          expression: `IF(FILL(arrived, 0) >= ${minMessages} AND FILL(invocations, 0) == 0, 1, 0)`,
          usingMetrics: { arrived, invocations },
          period: WINDOW,
        }),
        1,
        `Mail reached the ${ruleName ? `rule ${ruleName}` : 'organization'} but WorkMail did not invoke the function in 15 minutes: check the rule's function ARN (the live alias), the function's permission and the rule itself (npm run smoke). WorkMail applies the fallback action to this mail.`,
      ),
    ];
    if (ruleName) {
      this.alarms.push(
        alarm(
          'WorkMailFallbacks',
          new cloudwatch.MathExpression({
            expression: 'FILL(arrived, 0) - (FILL(invocations, 0) - FILL(errors, 0))',
            usingMetrics: { arrived, invocations, errors },
            period: WINDOW,
          }),
          options.fallbacks ?? 5,
          `The rule ${ruleName} handled more messages than the function answered in 15 minutes: WorkMail applied the rule's fallback action (function failures, throttles, time-outs or invalid answers).`,
        ),
      );
    }
  }
}
