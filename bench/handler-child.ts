/**
 * The real rule (production adapters and SDK clients, the repository's policy) in a fresh
 * process, against the services of bench/services.ts. Modes:
 * - `run <size> <runs>`: peak memory growth over one message of that size (sampled every 5 ms),
 *   then end-to-end times of further runs;
 * - `warm <count>`: that many 10 KB events back to back: heap before and after, p50 and p99.
 * Prints one JSON line.
 */
import { s3MessageStore, sdkMessageFlow } from '../lambda/aws/adapters';
import { createAwsClients } from '../lambda/aws/clients';
import type { Log } from '../lambda/aws/ports';
import { readConfig } from '../lambda/config';
import { bundledPolicy } from '../lambda/policy/bundled-policy';
import { runRule } from '../lambda/rule/run-rule';
import { loadEvent } from '../local/events';

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const { overrides, bucket } = JSON.parse(process.env.BENCH_SERVICES ?? '{}');
const clients = createAwsClients(overrides);
const deps = {
  messageFlow: sdkMessageFlow(clients.messageFlow),
  store: s3MessageStore(clients.s3, bucket),
  config: readConfig({ MESSAGE_BUCKET: bucket }),
  policy: bundledPolicy(),
  log: quiet,
  now: () => performance.now(),
};
const inbound = loadEvent('inbound.json');
let sequence = 0;

async function once(size: number): Promise<number> {
  const started = performance.now();
  const result = await runRule(
    { ...inbound, messageId: `bench-${size}`, invocationId: `bench-${process.pid}-${++sequence}` },
    deps,
  );
  if (result.outcome !== 'rewritten')
    throw new Error(`expected a rewrite, got ${result.outcome} (${result.reason ?? ''})`);
  return performance.now() - started;
}

function collect(): NodeJS.MemoryUsage {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main() {
  const [mode, a = '0', b = '1'] = process.argv.slice(2);
  await once(10 * 1024); // loads modules and opens connections before anything is measured
  if (mode === 'run') {
    const size = Number(a);
    const base = collect();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }, 5);
    const first = await once(size);
    clearInterval(sampler);
    const times = [first];
    for (let i = 1; i < Number(b); i++) times.push(await once(size));
    process.stdout.write(
      `${JSON.stringify({ rssGrowth: peakRss - base.rss, heapGrowth: peakHeap - base.heapUsed, baseRss: base.rss, times })}\n`,
    );
  } else if (mode === 'warm') {
    const before = collect().heapUsed;
    const times: number[] = [];
    for (let i = 0; i < Number(a); i++) times.push(await once(10 * 1024));
    const after = collect().heapUsed;
    process.stdout.write(
      `${JSON.stringify({ before, after, p50: percentile(times, 50), p99: percentile(times, 99) })}\n`,
    );
  }
  for (const client of [clients.s3, clients.messageFlow]) client.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
