import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewriteDeclinedError } from './rewrite-declined';
import type {
  ContentPlan,
  MessageHead,
  PlannedRewrite,
  RewriteOptions,
  RewriteReport,
} from './rewrite-rules';
import { RewriteStage } from './rewrite-stage';
import { OutputLimits } from './stream-guards';

/** WorkMail's largest MIME message (admin guide, quotas). */
export const DEFAULT_MAX_OUTPUT_BYTES = 40 * 1024 * 1024;

/**
 * A rewrite in progress: the output streams while the input is still arriving. Data flows one
 * way: the engine reads the head, the caller decides a plan on it and applies it, the engine
 * rewrites the rest. Nothing goes past the head until the plan is applied.
 */
export interface MessageRewrite {
  /** Settles once the top-level header block has been read. */
  readonly head: Promise<MessageHead>;
  /** What to change; call once, before or after the head is read. */
  apply(plan: ContentPlan): void;
  /** The rewritten message; consume it, or call `cancel`. */
  readonly output: Readable;
  /** Settles when the whole message has gone through; rejects with the first error. */
  readonly done: Promise<RewriteReport>;
  /** Stops reading and discards the output (used when the message needs no rewrite). */
  cancel(): void;
}

/**
 * Streams a raw RFC 5322 message through the rewrite stage (our splitter inside) and the output
 * checks.
 * Errors of `source` or `output` come out as they are (an I/O failure may be retried); a message
 * the engine will not rewrite fails with RewriteDeclinedError (the same bytes fail again).
 */
export function startRewrite(source: Readable, options: RewriteOptions): MessageRewrite {
  let settleHead!: (head: MessageHead) => void;
  let failHead!: (error: unknown) => void;
  const head = new Promise<MessageHead>((resolve, reject) => {
    settleHead = resolve;
    failHead = reject;
  });
  // A caller that awaits `done` alone must not see an unhandled rejection from `head`.
  head.catch(() => undefined);

  const stage = new RewriteStage(options, settleHead);
  const limits = new OutputLimits(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  const output = new PassThrough();
  // The first stream to fail is the origin; pipeline then destroys the others with that error.
  let origin: 'io' | 'engine' | undefined;
  const watch = (kind: 'io' | 'engine', ...streams: NodeJS.EventEmitter[]) => {
    for (const stream of streams) stream.once('error', () => (origin ??= kind));
  };
  watch('io', source, output);
  watch('engine', stage, limits);
  const done = pipeline(source, stage, limits, output).then(
    () => ({ ...stage.report, bytesOut: limits.bytes }),
    (error: unknown) => {
      // A stream closed early (the source, or the upload reading the output) is I/O, whichever
      // stream noticed first: the same bytes may well go through on a retry.
      const closedEarly = (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
      const failure =
        origin !== 'engine' || closedEarly || error instanceof RewriteDeclinedError
          ? error
          : new RewriteDeclinedError(
              'unparseable',
              `cannot parse the message: ${errorText(error)}`,
              {
                cause: error,
              },
            );
      failHead(failure);
      throw failure;
    },
  );
  // The caller may await `done` only later (the audit waits for the decision first): a failure
  // before then must not be an unhandled rejection, which ends a Lambda process.
  done.catch(() => undefined);
  return {
    head,
    apply: (plan) => stage.apply(plan),
    output,
    done,
    cancel: () => output.destroy(new Error('rewrite cancelled')),
  };
}

/** A rewrite with its plan fixed in advance. */
export function startPlannedRewrite(source: Readable, planned: PlannedRewrite): MessageRewrite {
  const rewrite = startRewrite(source, planned);
  rewrite.apply(planned);
  return rewrite;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${error.message}` : error.message;
}
