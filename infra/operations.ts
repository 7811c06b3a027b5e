import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS } from '../lambda/metric-names';

/** Alarm thresholds and where alarms go. Every field has a default. */
export interface AlarmOptions {
  /**
   * Send alarm notifications to this address (an SNS topic is created; confirm the e-mail).
   *
   * @default - no e-mail
   */
  readonly email?: string;
  /**
   * Send alarm notifications to this topic.
   *
   * @default - a topic only when `email` is set
   */
  readonly topic?: sns.ITopic;
  /**
   * Errors (thrown so that WorkMail retries, or a failed start) in 5 minutes that raise the alarm.
   *
   * @default 1
   */
  readonly errors?: number;
  /**
   * The function's own fallbacks (original delivered, bounced or wrapped) in 5 minutes.
   *
   * @default 5
   */
  readonly fallbacks?: number;
  /**
   * Longest invocation (ms) before the alarm: WorkMail gives up at 15 s, cold start included.
   *
   * @default 10000
   */
  readonly durationMs?: number;
  /**
   * Throttled invocations in 5 minutes (WorkMail retries them, holding the mail).
   *
   * @default 1
   */
  readonly throttles?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

function serviceMetric(name: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS.namespace,
    metricName: name,
    dimensionsMap: { service: METRICS.service },
    statistic: 'Sum',
    period: FIVE_MINUTES,
  });
}

function search(
  metricName: string,
  dimensions: string,
  statistic: string,
  label: string,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS.namespace},${dimensions}} MetricName="${metricName}"', '${statistic}', 300)`,
    label,
    period: FIVE_MINUTES,
  });
}

/** The function's alarms and dashboard. */
export class RewriteOperations extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  readonly topic?: sns.ITopic;

  constructor(scope: Construct, id: string, alias: lambda.Alias, options: AlarmOptions = {}) {
    super(scope, id);
    this.topic = options.topic ?? (options.email ? this.emailTopic(options.email) : undefined);
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
    ) =>
      new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    this.alarms = [
      alarm(
        'Errors',
        alias.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        options.errors ?? 1,
        'The function failed: WorkMail retries, holding the mail, then applies the rule fallback. See the runbook in README.',
      ),
      alarm(
        'Fallbacks',
        serviceMetric(METRICS.fallbacks),
        options.fallbacks ?? 5,
        'Messages went out unchanged, bounced or wrapped because their content could not be changed.',
      ),
      alarm(
        'NearTimeLimit',
        alias.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        options.durationMs ?? 10_000,
        'An invocation came close to the 15 seconds WorkMail waits.',
      ),
      alarm(
        'Throttles',
        alias.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        options.throttles ?? 1,
        'Invocations were throttled; WorkMail retries them, holding the mail.',
      ),
    ];
    if (this.topic)
      for (const a of this.alarms) a.addAlarmAction(new actions.SnsAction(this.topic));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Messages by outcome',
            left: [search(METRICS.messages, 'Direction,Outcome,service', 'Sum', '')],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Fallbacks, retries, errors, throttles',
            left: [
              serviceMetric(METRICS.fallbacks),
              serviceMetric(METRICS.retries),
              alias.metricErrors({ period: FIVE_MINUTES }),
              alias.metricThrottles({ period: FIVE_MINUTES }),
            ],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Why (fallbacks and retries)',
            left: [search(METRICS.reasons, 'Reason,service', 'Sum', '')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration and time left of the budget (ms)',
            left: [
              alias.metricDuration({ period: FIVE_MINUTES, statistic: 'p50' }),
              alias.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' }),
              alias.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' }),
            ],
            right: [
              search(
                METRICS.budgetLeftMs,
                'Direction,Outcome,service',
                'Minimum',
                'budget left (min)',
              ),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Time in get+rewrite+upload and put (ms); size (bytes)',
            left: [
              search(METRICS.streamMs, 'Direction,Outcome,service', 'p99', 'stream p99'),
              search(METRICS.putMs, 'Direction,Outcome,service', 'p99', 'put p99'),
            ],
            right: [
              search(METRICS.messageBytes, 'Direction,Outcome,service', 'Maximum', 'size max'),
            ],
            width: 8,
          }),
        ],
      ],
    });
  }

  private emailTopic(email: string): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', {
      enforceSSL: true,
      displayName: 'WorkMail rewrite rule alarms',
    });
    // cdk-nag 3's AwsSolutions pack checks SNS3 (TLS only, met by enforceSSL); its SNS2 (SSE)
    // is gone, so there is nothing to acknowledge.
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
