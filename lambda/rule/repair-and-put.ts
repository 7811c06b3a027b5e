import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Decision } from '../policy/decide';
import {
  CrlfNormalizer,
  DEFAULT_MAX_OUTPUT_BYTES,
  type Repair,
  repairMessage,
  startRewrite,
} from '../rewrite';
import { type EventInvocation, endInvocation, markerOf } from './invocation';
import { reportFields } from './log-fields';
import { changedAnything, unplacedAddition } from './report-checks';
import { headOf } from './rewrite-head';
import { putContent, storeOutput } from './store-and-put';
import type { RuleResult } from './types';

/** The original, whole, with CRLF line ends; undefined when it is larger than WorkMail takes. */
async function originalBytes(invocation: EventInvocation): Promise<Buffer | undefined> {
  const { event, deps, budget } = invocation;
  const message = await deps.messageFlow.getRawMessage(event.messageId, budget.signal);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  await pipeline(message.body, new CrlfNormalizer(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      size += chunk.length;
      // Read to the end all the same: the body stream must not be left half read.
      if (size > DEFAULT_MAX_OUTPUT_BYTES) tooLarge = true;
      else chunks.push(chunk);
    }
  });
  return tooLarge ? undefined : Buffer.concat(chunks, size);
}

/** Log fields naming each repair (no message content). */
function repairFields(repairs: Repair[]) {
  return { repairs: repairs.map(({ kind, part, detail }) => ({ kind, part, detail })) };
}

/**
 * The repair hook: when the engine declined a message or WorkMail refused the rewrite, fetches the
 * original again, repairs what breaks WorkMail's content rules (`repairMessage`: decoded content
 * stays identical), rewrites the repaired message with the same plan and puts it. Undefined when
 * there is nothing to repair, the repair is refused, or the repaired rewrite still leaves an
 * addition unplaced: the fallback then answers. Other failures throw, for the caller to judge.
 */
export async function repairAndPut(
  invocation: EventInvocation,
  decision: Decision,
  fields: Record<string, unknown>,
): Promise<RuleResult | undefined> {
  const { deps } = invocation;
  const original = await originalBytes(invocation);
  if (!original) return undefined;
  const repaired = repairMessage(original, { now: () => new Date(deps.now()) });
  if ('refused' in repaired || repaired.repairs.length === 0) {
    const why = 'refused' in repaired ? repaired.refused : 'nothing to repair';
    deps.log.info('the message cannot be repaired', { ...fields, repairRefused: why });
    return undefined;
  }
  const rewrite = startRewrite(Readable.from([repaired.message]), { marker: markerOf(invocation) });
  await headOf(rewrite);
  rewrite.apply(decision.content);
  const {
    stored,
    objectKey,
    outcome: report,
  } = await storeOutput(invocation, rewrite.output, rewrite.done, 'repaired');
  const logged = { ...fields, ...reportFields(report), ...repairFields(repaired.repairs) };
  if (unplacedAddition(decision.content, report) || !changedAnything(report)) {
    deps.log.info('the repaired message still cannot take the change', logged);
    return undefined;
  }
  await putContent(invocation, stored);
  return endInvocation(
    invocation,
    'warn',
    'message repaired and rewritten',
    {
      response: decision.response,
      outcome: 'rewritten',
      rules: decision.rules,
      report,
      objectKey,
      repairs: repaired.repairs,
    },
    { ...logged, objectKey },
  );
}
