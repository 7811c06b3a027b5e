/**
 * `npm run bench [-- --short]`: speed, memory, bundle and cold start (printed, and as JSON in
 * bench/results/). Speed is compared side by side on three kinds of message (attachment-heavy,
 * an HTML newsletter, 400 parts): the engine, the buffered parse-and-compose, a line scan (the
 * floor), mailsplit's pass-through and, where python3 is present, the AWS Python samples'
 * approach, taking turns within each round. Ratios are what to track: absolute times on shared
 * machines vary from run to run. `--short` (CI) uses small sizes and few runs and asserts nothing.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import { App } from 'aws-cdk-lib';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { WorkMailRewriteStack } from '../infra/workmail-rewrite-stack';
import { startPlannedRewrite } from '../lambda/rewrite';
import { loadEvent } from '../local/events';
import { sdkEnvironment } from '../local/local-services';
import { benchMessage, manyPartsMessage, newsletterMessage } from './message';

const run = promisify(execFile);
const SHORT = process.argv.includes('--short');
const ROOT = join(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const KB = 1024;
const MB = 1024 * 1024;
const SIZES = SHORT ? [10 * KB, MB] : [10 * KB, MB, 10 * MB, 40_000_000];
/** Sizes of the side-by-side comparison, per kind of message. */
const COMPARE_SIZES = SHORT ? [MB] : [MB, 10 * MB, 40_000_000];
const KINDS = {
  attachments: benchMessage,
  newsletter: newsletterMessage,
  'parts-400': manyPartsMessage,
};
const ROUNDS = SHORT ? 2 : 3;
/** The Python approach takes tens of seconds per round above this size: left out there. */
const PYTHON_MAX_BYTES = 12 * MB;
const E2E_RUNS = SHORT ? 2 : 5;
const WARM_EVENTS = SHORT ? 100 : 1000;
const COLD_RUNS = SHORT ? 1 : 5;
const PRICES = JSON.parse(readFileSync(join(__dirname, 'prices.json'), 'utf8')) as {
  taken: string;
  source: string;
  arm64PerGbSecond: number;
  perMillionRequests: number;
};
const BANNER = { text: 'CAUTION: external sender.', html: '<p>CAUTION: external sender.</p>' };
// Lambda gives one full vCPU at 1,769 MB and CPU in proportion below that.
const FULL_VCPU_MB = 1769;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function pieces(message: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < message.length; i += 64 * KB) chunks.push(message.subarray(i, i + 64 * KB));
  return Readable.from(chunks);
}

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** The streaming engine: the same change as the default policy (tag, banner). */
async function engine(message: Buffer): Promise<void> {
  const rewrite = startPlannedRewrite(pieces(message), {
    subjectTag: '[EXTERNAL]',
    banner: BANNER,
    marker: { header: 'X-Mail-Rewrite-Id', value: 'bench' },
  });
  await Promise.all([pipeline(rewrite.output, sink()), rewrite.done]);
}

/** The plain buffered approach: read it all, parse with mailparser, write with MailComposer. */
async function buffered(message: Buffer): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of pieces(message)) chunks.push(chunk as Buffer);
  const parsed = await simpleParser(Buffer.concat(chunks));
  await new MailComposer({
    from: parsed.from?.text,
    to: Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : parsed.to?.text,
    subject: `[EXTERNAL] ${parsed.subject ?? ''}`,
    text: `${BANNER.text}\n\n${parsed.text ?? ''}`,
    html:
      typeof parsed.html === 'string'
        ? parsed.html.replace(/<body[^>]*>/i, `$&${BANNER.html}`)
        : undefined,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
    })),
  })
    .compile()
    .build();
}

/**
 * The floor: the bytes streamed through with no parsing, only scanned for line breaks, the least
 * any line-oriented MIME work does (a bare PassThrough would only move references, not bytes).
 */
async function floor(message: Buffer): Promise<void> {
  let lines = 0;
  const scan = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) lines++;
      done(null, chunk);
    },
  });
  await pipeline(pieces(message), scan, sink());
  if (lines === 0) throw new Error('the floor saw no line');
}

/** mailsplit's pass-through: its Splitter into its Joiner, nothing changed. */
async function mailsplit(message: Buffer): Promise<void> {
  await pipeline(pieces(message), new Splitter({ ignoreEmbedded: true }), new Joiner(), sink());
}

/** The AWS Python samples' approach (bench/python-rewrite.py), in a python3 kept running. */
class PythonRewrite {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;
  private readonly dir = mkdtempSync(join(tmpdir(), 'bench-py-'));
  private readonly files = new Map<Buffer, string>();

  static available(): boolean {
    return spawnSync('python3', ['--version']).status === 0;
  }

  constructor() {
    this.child = spawn('python3', [join(__dirname, 'python-rewrite.py')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout as Readable })[Symbol.asyncIterator]();
  }

  /** Its own time for one message, measured inside python (no process start, no pipe). */
  async run(message: Buffer): Promise<number> {
    let path = this.files.get(message);
    if (!path) {
      path = join(this.dir, `${this.files.size}.eml`);
      writeFileSync(path, message);
      this.files.set(message, path);
    }
    this.child.stdin?.write(`${path}\n`);
    const { value } = await this.lines.next();
    return Number(String(value).split(' ')[0]);
  }

  close() {
    this.child.stdin?.end();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type Method = (message: Buffer) => Promise<number>;

function wallClock(work: (message: Buffer) => Promise<void>): Method {
  return async (message) => {
    const started = performance.now();
    await work(message);
    return performance.now() - started;
  };
}

/**
 * Median time of each method on one message. The methods take turns within each round, in an
 * order that rotates from round to round, so a busy moment of the machine hits them all alike.
 */
async function sideBySide(
  message: Buffer,
  methods: Record<string, Method>,
): Promise<Record<string, number>> {
  const names = Object.keys(methods);
  const times = new Map(names.map((name) => [name, [] as number[]]));
  for (const name of names) await methods[name]?.(message); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    for (const name of order) times.get(name)?.push(await (methods[name] as Method)(message));
  }
  return Object.fromEntries(names.map((name) => [name, median(times.get(name) ?? [])]));
}

interface Services {
  process: ChildProcess;
  env: string;
}

async function startServices(): Promise<Services> {
  const child = spawn(TSX, [join(__dirname, 'services.ts'), JSON.stringify(SIZES)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (data: Buffer) => {
      buffer += data.toString();
      if (buffer.includes('\n')) resolve(buffer.split('\n')[0] ?? '');
    });
    child.once('exit', () => reject(new Error('the services process ended early')));
  });
  return { process: child, env: line };
}

async function inChild<T>(
  services: Services,
  args: string[],
  nodeOptions = '--expose-gc',
): Promise<T> {
  const { stdout } = await run(TSX, [join(__dirname, 'handler-child.ts'), ...args], {
    env: {
      ...process.env,
      BENCH_SERVICES: services.env,
      NODE_OPTIONS: nodeOptions,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    maxBuffer: 16 * MB,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

/** The deployable bundle, built by the stack's own NodejsFunction (local esbuild). */
function bundle(): { path: string; bytes: number; zipped: number; memorySize: number } {
  const app = new App({ outdir: join(ROOT, 'cdk.out', 'bench') });
  const stack = new WorkMailRewriteStack(app, 'Bench', {
    organizationId: `m-${'0'.repeat(32)}`,
    env: { region: 'us-east-1' },
  });
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as {
    Resources: Record<
      string,
      {
        Type: string;
        Properties: { Runtime?: string; MemorySize?: number; Code?: { S3Key?: string } };
      }
    >;
  };
  const fn = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime?.startsWith('nodejs24'),
  );
  const path = join(
    assembly.directory,
    `asset.${fn?.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`,
    'index.js',
  );
  const code = readFileSync(path);
  return {
    path,
    bytes: code.length,
    zipped: deflateRawSync(code, { level: 9 }).length,
    memorySize: fn?.Properties.MemorySize ?? 0,
  };
}

/** From a fresh Node process to the first answer of the bundled handler. */
async function coldStart(services: Services, bundlePath: string): Promise<number> {
  const { overrides, bucket } = JSON.parse(services.env);
  const event = {
    ...loadEvent('inbound.json'),
    messageId: `bench-${10 * KB}`,
    invocationId: `cold-${Date.now()}`,
  };
  const script = `require(${JSON.stringify(bundlePath)}).handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 15000 }).then(() => process.exit(0))`;
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const started = performance.now();
    await run(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        MESSAGE_BUCKET: bucket,
        ...sdkEnvironment(overrides),
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    times.push(performance.now() - started);
  }
  return median(times);
}

function label(size: number): string {
  return size >= 1e6 ? `${Math.round(size / 1e6)} MB` : `${Math.round(size / KB)} KB`;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main() {
  const rows: Record<string, unknown>[] = [];
  const services = await startServices();
  try {
    const built = bundle();
    const memoryGb = built.memorySize / 1024;
    const python = PythonRewrite.available() ? new PythonRewrite() : undefined;
    const methods: Record<string, Method> = {
      engine: wallClock(engine),
      buffered: wallClock(buffered),
      floor: wallClock(floor),
      mailsplit: wallClock(mailsplit),
      ...(python ? { python: (message: Buffer) => python.run(message) } : {}),
    };
    const { python: pythonMethod, ...withoutPython } = methods;
    const compared: Record<string, unknown>[] = [];
    try {
      for (const [kind, build] of Object.entries(KINDS)) {
        for (const size of COMPARE_SIZES) {
          const message = build(size);
          const ms = await sideBySide(
            message,
            message.length > PYTHON_MAX_BYTES || !pythonMethod ? withoutPython : methods,
          );
          const mbps = (name: string) => message.length / MB / ((ms[name] ?? Number.NaN) / 1000);
          compared.push({
            kind,
            size: label(size),
            bytes: message.length,
            ...Object.fromEntries(Object.keys(ms).map((name) => [`${name}MBps`, mbps(name)])),
            engineVsBuffered: (ms.buffered ?? 0) / (ms.engine ?? 1),
            floorVsEngine: (ms.engine ?? 0) / (ms.floor ?? 1),
            engineVsMailsplit: (ms.mailsplit ?? 0) / (ms.engine ?? 1),
            ...(ms.python ? { engineVsPython: ms.python / (ms.engine ?? 1) } : {}),
          });
          console.error(`compared ${kind} ${label(size)}`);
        }
      }
    } finally {
      python?.close();
    }
    for (const size of SIZES) {
      const message = benchMessage(size);
      const child = await inChild<{
        rssGrowth: number;
        heapGrowth: number;
        baseRss: number;
        times: number[];
      }>(services, ['run', String(size), String(E2E_RUNS)]);
      const e2eMs = median(child.times);
      const lambdaMs = e2eMs * Math.max(1, FULL_VCPU_MB / built.memorySize);
      const costPerMillion =
        1e6 * (lambdaMs / 1000) * memoryGb * PRICES.arm64PerGbSecond + PRICES.perMillionRequests;
      rows.push({
        size: label(size),
        bytes: message.length,
        endToEndMs: e2eMs,
        estimatedLambdaMs: lambdaMs,
        baseRssMB: child.baseRss / MB,
        peakRssGrowthMB: child.rssGrowth / MB,
        peakHeapGrowthMB: child.heapGrowth / MB,
        costPerMillionUsd: costPerMillion,
      });
    }
    const warm = await inChild<{ before: number; after: number; p50: number; p99: number }>(
      services,
      ['warm', String(WARM_EVENTS)],
    );
    const cold = await coldStart(services, built.path);
    const results = {
      when: new Date().toISOString(),
      mode: SHORT ? 'short' : 'full',
      machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GB, Node ${process.version}`,
      stackMemoryMB: built.memorySize,
      prices: PRICES,
      compared,
      sizes: rows,
      bundle: { bytes: built.bytes, zipped: built.zipped, coldStartMs: cold },
      warm: {
        events: WARM_EVENTS,
        heapBeforeMB: warm.before / MB,
        heapAfterMB: warm.after / MB,
        p50Ms: warm.p50,
        p99Ms: warm.p99,
      },
    };
    print(results);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', `${results.mode}.json`),
      `${JSON.stringify(results, null, 2)}\n`,
    );
  } finally {
    services.process.stdin?.end();
  }
}

function print(r: {
  machine: string;
  mode: string;
  stackMemoryMB: number;
  prices: typeof PRICES;
  compared: Record<string, unknown>[];
  sizes: Record<string, unknown>[];
  bundle: { bytes: number; zipped: number; coldStartMs: number };
  warm: { events: number; heapBeforeMB: number; heapAfterMB: number; p50Ms: number; p99Ms: number };
}) {
  const n = (row: Record<string, unknown>, key: string, digits = 1) =>
    row[key] === undefined ? '-' : fmt(row[key] as number, digits);
  const lines = [
    `machine: ${r.machine} (${r.mode} run)`,
    '',
    'Side by side in one process, methods taking turns within each round (MB/s):',
    '',
    '| message | size | engine | buffered (mailparser) | floor (line scan) | mailsplit pass-through | Python email (AWS samples) | engine vs buffered | floor vs engine | engine vs mailsplit | engine vs Python |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.compared.map(
      (row) =>
        `| ${row.kind} | ${row.size} | ${n(row, 'engineMBps')} | ${n(row, 'bufferedMBps')} | ${n(row, 'floorMBps')} | ${n(row, 'mailsplitMBps')} | ${n(row, 'pythonMBps')} | ${n(row, 'engineVsBuffered')}x | ${n(row, 'floorVsEngine')}x | ${n(row, 'engineVsMailsplit')}x | ${n(row, 'engineVsPython')}x |`,
    ),
    '',
    'End to end through the emulators (attachment-heavy message, the real rule in its own process):',
    '',
    `| size | end to end ms | Lambda ms at ${r.stackMemoryMB} MB (est.) | peak RSS growth MB | peak heap growth MB | USD per 1M messages |`,
    '|---|---|---|---|---|---|',
    ...r.sizes.map(
      (row) =>
        `| ${row.size} | ${n(row, 'endToEndMs', 0)} | ${n(row, 'estimatedLambdaMs', 0)} | ${n(row, 'peakRssGrowthMB')} | ${n(row, 'peakHeapGrowthMB')} | ${n(row, 'costPerMillionUsd', 2)} |`,
    ),
    '',
    `bundle: ${fmt(r.bundle.bytes / MB, 2)} MB minified, ${fmt(r.bundle.zipped / MB, 2)} MB zipped; cold start to first answer: ${fmt(r.bundle.coldStartMs, 0)} ms`,
    `warm: ${r.warm.events} events in one process: heap ${fmt(r.warm.heapBeforeMB)} MB before, ${fmt(r.warm.heapAfterMB)} MB after; p50 ${fmt(r.warm.p50Ms)} ms, p99 ${fmt(r.warm.p99Ms)} ms`,
    `prices: ${r.prices.source}, taken ${r.prices.taken}: USD ${r.prices.arm64PerGbSecond} per GB-second (arm64), USD ${r.prices.perMillionRequests} per 1M requests`,
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
