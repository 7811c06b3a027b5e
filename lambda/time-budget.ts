import { OwnError } from './errors';

/** WorkMail waits this long for a synchronous rule's answer, cold start included. */
export const WORKMAIL_ANSWER_LIMIT_MS = 15_000;
/** Kept for a cold start, which WorkMail counts but the handler's own clock does not see. */
export const COLD_START_MARGIN_MS = 2_500;
/** Kept to answer before Lambda ends the invocation at its timeout. */
export const REPLY_MARGIN_MS = 500;
/** How often the clock is read; an injected clock is only ever read, never waited on. */
const TICK_MS = 25;

/** The handler's time allowance; when it runs out, `signal` aborts every call still running. */
export interface TimeBudget {
  readonly signal: AbortSignal;
  /** Milliseconds left, never below zero. */
  remaining(): number;
  /** Stops the clock watch; call once the invocation has its answer. */
  end(): void;
}

/** The budget ran out; the policy's fallback answers instead. */
export class OutOfTimeError extends OwnError {
  override name = 'OutOfTimeError';
  readonly code = 'out-of-time';
}

/**
 * Starts the budget at `now()`: what WorkMail allows minus the cold-start margin, and never more
 * than the Lambda context has left minus a reply margin.
 */
export function startBudget(now: () => number, lambdaRemainingMs?: number): TimeBudget {
  const started = now();
  const allowance = Math.min(
    WORKMAIL_ANSWER_LIMIT_MS - COLD_START_MARGIN_MS,
    lambdaRemainingMs === undefined
      ? Number.POSITIVE_INFINITY
      : lambdaRemainingMs - REPLY_MARGIN_MS,
  );
  const deadline = started + allowance;
  const controller = new AbortController();
  const expire = () => controller.abort(new OutOfTimeError(`the ${allowance} ms budget ran out`));
  const watch = setInterval(() => {
    if (now() >= deadline) {
      clearInterval(watch);
      expire();
    }
  }, TICK_MS);
  watch.unref();
  return {
    signal: controller.signal,
    remaining: () => Math.max(0, deadline - now()),
    end: () => clearInterval(watch),
  };
}
