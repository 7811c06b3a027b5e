import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startRewrite } from './lambda/rewrite/rewrite-message';
import { benchMessage, manyPartsMessage, newsletterMessage } from './bench/message';
const kind = process.argv[2] ?? 'parts';
const size = Number(process.argv[3] ?? 1e6);
const message = kind === 'parts' ? manyPartsMessage(size) : kind === 'news' ? newsletterMessage(size) : benchMessage(size);
function pieces(m: Buffer) { const c: Buffer[] = []; for (let i = 0; i < m.length; i += 65536) c.push(m.subarray(i, i + 65536)); return Readable.from(c); }
async function once() {
  const r = startRewrite(pieces(message), { subjectTag: '[EXTERNAL]', banner: { text: 'CAUTION', html: '<p>CAUTION</p>' }, marker: { header: 'X-M', value: 'b' } });
  await Promise.all([pipeline(r.output, new Writable({ write(_c, _e, d) { d(); } })), r.done]);
}
(async () => { await once(); const t = performance.now(); const n = Number(process.argv[4] ?? 10); for (let i = 0; i < n; i++) await once(); const ms = (performance.now() - t) / n; console.log(kind, message.length, ms.toFixed(1), 'ms', (message.length / 1048576 / (ms / 1000)).toFixed(1), 'MB/s'); })();
