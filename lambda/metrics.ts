import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS } from './metric-names';
import type { FlowDirection } from './workmail';

/** What one invocation reports; nothing in it identifies a message or a person. */
export interface InvocationMeasure {
  outcome: string;
  direction?: FlowDirection;
  /** A reason from the function's fixed vocabulary (`out-of-time`, `declined-bare-cr`...). */
  reason?: string;
  bytes?: number;
  streamMs?: number;
  putMs?: number;
  budgetLeftMs: number;
}

/** Records one invocation's measure. */
export interface MetricsPort {
  record(measure: InvocationMeasure): void;
}

const FALLBACK_OUTCOMES = new Set([
  'bounced-by-fallback',
  'wrapped-by-fallback',
  'junked-by-fallback',
  'delivered-unchanged-after-failure',
]);

/** Reasons carry text after a colon (which part was skipped): the class is the part before it. */
export function reasonClass(reason: string): string {
  return (reason.split(':')[0] ?? reason).trim().replace(/\s+/g, '-').slice(0, 60);
}

/** FallbacksApplied or RetriesRequested, when the invocation was one of those. */
export function exceptionalCount(measure: InvocationMeasure): string | undefined {
  if (measure.outcome === 'retry') return METRICS.retries;
  // A reason on any other outcome means something the policy asked for was left out.
  if (FALLBACK_OUTCOMES.has(measure.outcome) || measure.reason) return METRICS.fallbacks;
  return undefined;
}

/** Writes one measure into a Powertools Metrics buffer; the caller publishes it. */
export function addMeasure(metrics: Metrics, measure: InvocationMeasure): void {
  metrics.addDimensions({ Outcome: measure.outcome, Direction: measure.direction ?? 'unknown' });
  metrics.addMetric(METRICS.messages, MetricUnit.Count, 1);
  if (measure.bytes !== undefined)
    metrics.addMetric(METRICS.messageBytes, MetricUnit.Bytes, measure.bytes);
  if (measure.streamMs !== undefined)
    metrics.addMetric(METRICS.streamMs, MetricUnit.Milliseconds, measure.streamMs);
  if (measure.putMs !== undefined)
    metrics.addMetric(METRICS.putMs, MetricUnit.Milliseconds, measure.putMs);
  metrics.addMetric(METRICS.budgetLeftMs, MetricUnit.Milliseconds, measure.budgetLeftMs);
}

/** The production port: each measure becomes EMF on standard output, which Lambda ships. */
export function powertoolsMetrics(metrics: Metrics): MetricsPort {
  return {
    record(measure) {
      addMeasure(metrics, measure);
      metrics.publishStoredMetrics();
      // Counts that alarms watch carry the service dimension only, one blob each; the reason is
      // a dimension of its own, not multiplied by the others.
      const exceptional = exceptionalCount(measure);
      if (!exceptional) return;
      metrics.singleMetric().addMetric(exceptional, MetricUnit.Count, 1);
      if (!measure.reason) return;
      const single = metrics.singleMetric();
      single.addDimension('Reason', reasonClass(measure.reason));
      single.addMetric(METRICS.reasons, MetricUnit.Count, 1);
    },
  };
}
