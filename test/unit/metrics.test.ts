import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../../lambda/metric-names';
import { addMeasure, exceptionalCount, reasonClass } from '../../lambda/metrics';

function emf(measure: Parameters<typeof addMeasure>[1]) {
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
  addMeasure(metrics, measure);
  const output = metrics.serializeMetrics();
  metrics.clearMetrics();
  return output as unknown as Record<string, unknown> & {
    _aws: {
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit: string }[];
      }[];
    };
  };
}

describe('the metrics of one invocation', () => {
  it('writes Messages by outcome and direction, sizes and times, in the project namespace', () => {
    const output = emf({
      outcome: 'rewritten',
      direction: 'INBOUND',
      bytes: 8298,
      streamMs: 56,
      putMs: 13,
      budgetLeftMs: 12_300,
    });
    const [directive] = output._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe('WorkMailRewriteRule');
    expect(directive?.Dimensions).toEqual([['service', 'Outcome', 'Direction']]);
    expect(output).toMatchObject({
      service: 'workmail-rewrite-rule',
      Outcome: 'rewritten',
      Direction: 'INBOUND',
      Messages: 1,
      MessageBytes: 8298,
      GetRewriteUploadMs: 56,
      PutMs: 13,
      BudgetLeftMs: 12_300,
    });
  });

  it.each([
    ['bounced-by-fallback', METRICS.fallbacks],
    ['wrapped-by-fallback', METRICS.fallbacks],
    ['delivered-unchanged-after-failure', METRICS.fallbacks],
    ['retry', METRICS.retries],
    ['rewritten', undefined],
    ['unchanged', undefined],
  ])('counts %s as %s, in a blob of its own that alarms watch', (outcome, metric) => {
    expect(exceptionalCount({ outcome, budgetLeftMs: 1 })).toBe(metric);
    expect(emf({ outcome, direction: 'OUTBOUND', budgetLeftMs: 100 })).toMatchObject({
      Messages: 1,
    });
  });

  it.each(['rewritten', 'unchanged'])(
    'counts %s as a fallback when a banner or footer was left out (fallback deliver)',
    (outcome) => {
      const reason = 'footer not placed: multipart/signed content must not change';
      expect(exceptionalCount({ outcome, reason, budgetLeftMs: 1 })).toBe(METRICS.fallbacks);
    },
  );

  it('reduces a reason to its class, a short fixed word', () => {
    expect(reasonClass('banner not placed: multipart/signed content must not change')).toBe(
      'banner-not-placed',
    );
    expect(reasonClass('declined-missing-final-boundary')).toBe('declined-missing-final-boundary');
  });
});
