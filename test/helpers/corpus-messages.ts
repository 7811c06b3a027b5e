import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Real-world mail that Debian packages ship, fetched by local/fetch-corpus.sh (never committed). */
export const CORPUS = join(__dirname, '..', '..', '.cache', 'corpus');
export const CORPUS_SOURCES = [
  'golang-github-gatherstars-com-jwz-dev',
  'libmime-explode-perl',
  'mailman3',
  'python3-django-hyperkitty',
  'spamassassin',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name === '.version' ? [] : [path];
  });
}

/** One file may hold one message or an mbox of several; SMTP hands them over with CRLF. */
function messagesIn(path: string): { name: string; raw: Buffer }[] {
  const text = readFileSync(path).toString('latin1');
  const pieces = text.startsWith('From ') ? text.split(/\n(?=From \S.*\n)/) : [text];
  return pieces
    .map((piece) => piece.replace(/^From .*\n/, ''))
    .filter((piece) => piece.trim() !== '')
    .map((piece, i) => ({
      name: pieces.length > 1 ? `${path}#${i + 1}` : path,
      raw: Buffer.from(piece.replace(/\r?\n/g, '\r\n'), 'latin1'),
    }));
}

/** The messages of one source, with CRLF line ends; fails with a hint when it was not fetched. */
export function corpusMessages(source: string): { name: string; raw: Buffer }[] {
  let paths: string[];
  try {
    paths = files(join(CORPUS, source));
  } catch {
    throw new Error(`corpus ${source} is missing: run local/fetch-corpus.sh (npm test does)`);
  }
  return paths.flatMap(messagesIn);
}
