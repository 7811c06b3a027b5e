import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { loadEvent } from '../../local/events';
import { type Harness, startHarness } from '../helpers/rule-harness';
import { CORPUS_SOURCE_TIMEOUT } from '../helpers/timeouts';
import { WARNING_OUTCOMES, type WarningOutcome, warningOutcome } from '../helpers/warning-check';

/**
 * Inbound mail from outside, with the shipped policy, through the real handler, the Message Flow
 * emulator applying WorkMail's content rules (documented and assumed) and a local S3: for each
 * real-world message, how the warning reached its reader. `.cache/corpus` is the project's corpus
 * (local/fetch-corpus.sh); `.cache/own-corpus` holds sources fetched the same way that the engine's
 * own corpus test never sees (python3-django-postorius's test mail). Prints a table per source.
 */
const ROOT = join(__dirname, '..', '..', '.cache');
const TAG = '[EXTERNAL]';
const inbound = loadEvent('inbound.json');

function sources(): string[] {
  return ['corpus', 'own-corpus'].flatMap((kind) => {
    const dir = join(ROOT, kind);
    return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
  });
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name === '.version' ? [] : [path];
  });
}

/** One file may hold one message or an mbox of several; SMTP hands them over with CRLF. */
function messagesIn(path: string): Buffer[] {
  const text = readFileSync(path).toString('latin1');
  const pieces = text.startsWith('From ') ? text.split(/\n(?=From \S.*\n)/) : [text];
  return pieces
    .map((piece) => piece.replace(/^From .*\n/, ''))
    .filter((piece) => piece.trim() !== '')
    .map((piece) => Buffer.from(piece.replace(/\r?\n/g, '\r\n'), 'latin1'));
}

const found = sources();
const describeCorpus = found.length ? describe : describe.skip;
if (!found.length) console.log('warning corpus: no .cache/corpus; run npm run corpus:fetch');

describeCorpus('the warning on real-world mail from outside, with the shipped policy', () => {
  let harness: Harness;
  let sequence = 0;
  const totals = new Map<WarningOutcome, number>();

  beforeAll(async () => {
    harness = await startHarness({}, bundledPolicy(), { contentRules: 'assumed' });
  });

  afterAll(async () => {
    await harness.services.close();
    const line = WARNING_OUTCOMES.map((o) => `${o} ${totals.get(o) ?? 0}`).join(', ');
    console.log(`warning corpus, all sources: ${line}`);
  });

  it.each(found.map((source) => [relative(ROOT, source), source]))(
    '%s: every message reaches its reader with the warning',
    async (_name, source) => {
      const counts = new Map<WarningOutcome, number>();
      const missed: string[] = [];
      for (const path of files(source)) {
        for (const message of messagesIn(path)) {
          const messageId = `corpus-${++sequence}`;
          harness.services.emulator.addMessage(messageId, message);
          const result = await harness.run({
            ...inbound,
            messageId,
            invocationId: `${messageId}-invocation`,
          });
          const outcome = warningOutcome(harness, messageId, result, TAG);
          counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
          totals.set(outcome, (totals.get(outcome) ?? 0) + 1);
          if (outcome === 'without-warning') missed.push(`${path} (${result.outcome})`);
          harness.services.emulator.removeMessage(messageId);
        }
      }
      console.log(
        `warning corpus, ${relative(ROOT, source)}: ${WARNING_OUTCOMES.map((o) => `${o} ${counts.get(o) ?? 0}`).join(', ')}`,
      );
      expect(missed).toEqual([]);
    },
    CORPUS_SOURCE_TIMEOUT,
  );
});
