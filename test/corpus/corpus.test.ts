import { relative } from 'node:path';
import { htmlMarkOpening, markToken } from '../../lambda/rewrite/html-marks';
import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';
import type { PlannedRewrite, RewriteReport } from '../../lambda/rewrite/rewrite-rules';
import { CORPUS, CORPUS_SOURCES, corpusMessages } from '../helpers/corpus-messages';
import { rewriteBuffer } from '../helpers/mime';
import {
  allParts,
  firstBadLine,
  type MimePart,
  parseMime,
  transferDecoded,
} from '../helpers/mime-tree';
import { randomChunkSize, seededRandom } from '../helpers/seeded-random';
import { CORPUS_SOURCE_TIMEOUT } from '../helpers/timeouts';

/**
 * Runs the engine over real-world mail that Debian packages ship (fetched by
 * local/fetch-corpus.sh into .cache/corpus, never committed). Each message is either rewritten
 * with properties 1-4 of the engine holding, checked with the independent splitter, or declined
 * with a reason; and (5) it comes out the same when the message arrives in chunks of a size drawn
 * from 1 byte to 64 KiB (fixed seed). Prints a table per source.
 */
const SOURCES = CORPUS_SOURCES;
const SEED = 20261202;
const BANNER = 'EXTERNAL SENDER: check before you click.';
const FOOTER = 'Sent from outside the organization.';
const RULES: PlannedRewrite = {
  subjectTag: '[EXTERNAL]',
  banner: { text: BANNER, html: `<p>${BANNER}</p>` },
  footer: { text: FOOTER, html: `<p>${FOOTER}</p>` },
  marker: { header: 'X-Mail-Rewrite-Id', value: 'corpus-first' },
};
const TOKEN = markToken(RULES.marker.value);
const BANNER_DIV = `${htmlMarkOpening('banner', TOKEN)}<p>${BANNER}</p></div>`;
const FOOTER_DIV = `${htmlMarkOpening('footer', TOKEN)}<p>${FOOTER}</p></div>`;

/** A run's result as one comparable string: output and report, or the decline. */
function shown(outcome: unknown): string {
  if (outcome instanceof Error) return `${outcome.name}: ${outcome.message}`;
  const { output, report } = outcome as { output: Buffer; report: RewriteReport };
  return `${output.toString('latin1')}\n${JSON.stringify(report)}`;
}

function partPath(part: string): string {
  return part === 'TEXT' ? '' : part;
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Independent statement of where the text goes in a plain part (bytes as latin1). */
function expectedPlain(before: string, added: string[]): string {
  // Inside base64 a text may use LF only; the additions follow the text's own line breaks.
  const lf = before.indexOf('\n');
  const eol = lf > 0 && before[lf - 1] !== '\r' ? '\n' : '\r\n';
  const trailing = before.endsWith(eol) ? eol : '';
  let core = trailing ? before.slice(0, -eol.length) : before;
  if (added.includes('banner')) core = core ? `${BANNER}${eol}${eol}${core}` : BANNER;
  if (added.includes('footer')) core = core ? `${core}${eol}${eol}${FOOTER}` : FOOTER;
  return `${core}${trailing}`;
}

/** Checks properties 1-4 on one rewritten message; returns what failed. */
async function violations(input: Buffer, output: Buffer, report: RewriteReport): Promise<string[]> {
  const failed: string[] = [];
  const bad = firstBadLine(output);
  if (bad) failed.push(`1: ${bad}`);
  const [oldParts, newParts] = [allParts(parseMime(input)), allParts(parseMime(output))];
  if (oldParts.map((p) => p.path).join() !== newParts.map((p) => p.path).join()) {
    failed.push('1: the structure changed');
    return failed;
  }
  const targets = new Map(
    report.parts.filter((p) => p.change === 'rewritten').map((p) => [partPath(p.part), p]),
  );
  for (const [i, old] of oldParts.entries()) {
    const fresh = newParts[i] as MimePart;
    const target = targets.get(old.path);
    if (old.path === '' && !target) continue;
    if (!target) {
      const same =
        old.head.equals(fresh.head) && (old.children.length > 0 || old.body.equals(fresh.body));
      if (!same) failed.push(`2: part ${old.path || 'root'} changed but is not a target`);
      continue;
    }
    const added = target.added ?? [];
    if (target.charset) {
      // Converted to UTF-8: the additions are there once each, and nothing became U+FFFD.
      const text = new TextDecoder('utf-8').decode(transferDecoded(fresh));
      if (text.includes('\ufffd')) failed.push(`3: part ${old.path} has replacement characters`);
      continue;
    }
    const [before, after] = [
      transferDecoded(old).toString('latin1'),
      transferDecoded(fresh).toString('latin1'),
    ];
    if (target.contentType === 'text/plain') {
      if (after !== expectedPlain(before, added))
        failed.push(`3: plain part ${old.path} is not text + additions`);
    } else {
      const banners = count(after, BANNER_DIV) - count(before, BANNER_DIV);
      const footers = count(after, FOOTER_DIV) - count(before, FOOTER_DIV);
      const stripped = after
        .replace(added.includes('banner') ? BANNER_DIV : '\0', '')
        .replace(added.includes('footer') ? FOOTER_DIV : '\0', '');
      if (
        banners !== (added.includes('banner') ? 1 : 0) ||
        footers !== (added.includes('footer') ? 1 : 0)
      ) {
        failed.push(
          `3: HTML part ${old.path} has ${banners} new banners and ${footers} new footers`,
        );
      } else if (stripped !== before)
        failed.push(`3: HTML part ${old.path} changed beyond the additions`);
    }
  }
  const again = await rewriteBuffer(output, {
    ...RULES,
    marker: { ...RULES.marker, value: 'corpus-again' },
  }).catch((error: Error) => error);
  if (again instanceof Error) failed.push(`4: a second invocation failed: ${again.message}`);
  else if (
    again.output.toString('latin1').replace('corpus-again', 'corpus-first') !==
    output.toString('latin1')
  ) {
    failed.push('4: a second invocation changed the message');
  }
  return failed;
}

interface SourceResult {
  messages: number;
  rewritten: number;
  declined: Map<string, number>;
  skippedParts: Map<string, number>;
}
const results = new Map<string, SourceResult>();

function table(): string {
  const lines = [
    'corpus                                  messages  rewritten  declined (reason: count)',
  ];
  for (const [source, r] of results) {
    const declined = [...r.declined].map(([reason, n]) => `${reason}: ${n}`).join(', ');
    const total = [...r.declined.values()].reduce((a, b) => a + b, 0);
    lines.push(
      `${source.padEnd(40)}${String(r.messages).padStart(8)}${String(r.rewritten).padStart(11)}  ${total}${declined ? ` (${declined})` : ''}`,
    );
  }
  const skipped = new Map<string, number>();
  for (const r of results.values())
    for (const [k, v] of r.skippedParts) skipped.set(k, (skipped.get(k) ?? 0) + v);
  lines.push(
    `parts left unchanged, by reason: ${[...skipped].map(([k, v]) => `${k}: ${v}`).join('; ') || 'none'}`,
  );
  return lines.join('\n');
}

describe('the engine on real-world mail', () => {
  afterAll(() => {
    process.stdout.write(`${table()}\n`);
  });

  it.each(SOURCES)(
    'rewrites or declines every message of %s',
    async (source) => {
      const messages = corpusMessages(source);
      expect(messages.length).toBeGreaterThan(0);
      const result: SourceResult = {
        messages: messages.length,
        rewritten: 0,
        declined: new Map(),
        skippedParts: new Map(),
      };
      results.set(source, result);
      const failures: string[] = [];
      const next = seededRandom(SEED);
      for (const { name, raw } of messages) {
        const outcome = await rewriteBuffer(raw, RULES).catch((error: unknown) => error);
        // 5: the same output (or the same decline) whatever the chunk size.
        const size = randomChunkSize(next);
        const cut = await rewriteBuffer(raw, RULES, size).catch((error: unknown) => error);
        if (shown(cut) !== shown(outcome))
          failures.push(`${relative(CORPUS, name)}: 5: another result in chunks of ${size}`);
        if (outcome instanceof RewriteDeclinedError) {
          result.declined.set(outcome.reason, (result.declined.get(outcome.reason) ?? 0) + 1);
          continue;
        }
        if (outcome instanceof Error) {
          failures.push(`${relative(CORPUS, name)}: ${outcome.name} ${outcome.message}`);
          continue;
        }
        const { output, report } = outcome as { output: Buffer; report: RewriteReport };
        result.rewritten++;
        for (const p of report.parts.filter((p) => p.change === 'skipped')) {
          const reason = (p.reason ?? '').replace(/charset .*/, 'charset');
          result.skippedParts.set(reason, (result.skippedParts.get(reason) ?? 0) + 1);
        }
        for (const v of await violations(raw, output, report))
          failures.push(`${relative(CORPUS, name)}: ${v}`);
      }
      expect(failures).toEqual([]);
      // Declining is safe but does nothing: an engine that declines most real mail is broken.
      expect(result.rewritten).toBeGreaterThanOrEqual(messages.length * 0.8);
    },
    CORPUS_SOURCE_TIMEOUT,
  );
});
