import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CORPUS_SOURCES as SOURCES } from '../helpers/corpus-messages';
import { ROOT } from '../helpers/replay-cli';
import { CHILD_PROCESS_TIMEOUT } from '../helpers/timeouts';

const run = promisify(execFile);

/** Runs local/fetch-corpus.sh as `npm test` does, with this PATH and environment. */
async function fetchCorpus(path: string, env: Record<string, string>) {
  return run('/bin/bash', [join(ROOT, 'local', 'fetch-corpus.sh')], {
    env: { PATH: path, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('local/fetch-corpus.sh', () => {
  let folder: string;
  let noAptPath: string;
  let emptyCache: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'fetch-corpus-'));
    // A machine without apt-get (macOS): only the two tools the script needs before it looks.
    noAptPath = join(folder, 'bin');
    mkdirSync(noAptPath);
    for (const tool of ['dirname', 'id']) symlinkSync(`/usr/bin/${tool}`, join(noAptPath, tool));
    emptyCache = join(folder, 'cache');
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it(
    'skips with one line saying how to run it where apt-get is missing',
    async () => {
      const result = await fetchCorpus(noAptPath, { CORPUS_CACHE: emptyCache });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(
        /^corpus: skipped \(apt-get and dpkg-deb are needed to fetch Debian packages\); run npm run corpus:fetch && npm run test:corpus on Debian or Ubuntu \(apt-get update needs root\)\n$/,
      );
    },
    CHILD_PROCESS_TIMEOUT,
  );

  it(
    'fails with one line on CI, which must run the corpus',
    async () => {
      const result = await fetchCorpus(noAptPath, { CORPUS_CACHE: emptyCache, CI: 'true' });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        'corpus: apt-get and dpkg-deb are needed to fetch Debian packages; CI runs the corpus test, so this fails\n',
      );
    },
    CHILD_PROCESS_TIMEOUT,
  );

  it(
    'needs no apt-get, and says nothing, when every source is already fetched',
    async () => {
      const cache = join(folder, 'full');
      for (const source of SOURCES) {
        mkdirSync(join(cache, source), { recursive: true });
        writeFileSync(join(cache, source, '.version'), '1.0\n');
      }
      const result = await fetchCorpus(noAptPath, { CORPUS_CACHE: cache, CI: 'true' });
      expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    },
    CHILD_PROCESS_TIMEOUT,
  );
});
