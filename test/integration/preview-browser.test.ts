import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { previewPage } from '../../local/preview';
import { screenshotPage } from '../../local/screenshot';
import { rewriteBuffer } from '../helpers/mime';
import { HOSTILE, REWRITTEN } from '../helpers/preview-fixtures';
import { replay } from '../helpers/replay-cli';
import { BROWSER_TIMEOUT } from '../helpers/timeouts';

const INBOUND_ID = '4c3f0d8a-1b2e-4a5f-9c7d-0e1f2a3b4c5d';

// Debian's chromium (`.ci/run` installs it); browser downloads do not work here.
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
  (path): path is string => !!path && existsSync(path),
);
if (!CHROMIUM) {
  console.warn('No Chromium found (apt-get install chromium, or set CHROMIUM_PATH): skipped.');
}

(CHROMIUM ? describe : describe.skip)('the replay preview in headless Chromium', () => {
  let browser: Browser;
  let out: string;
  // Stands in for a remote tracker: every request that reaches it is one the page let out.
  const tracker = createServer((request, response) => {
    trackerHits.push(request.url ?? '');
    response.end();
  });
  const trackerHits: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    out = mkdtempSync(join(tmpdir(), 'preview-'));
    await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', resolve));
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await browser.close();
    tracker.close();
    rmSync(out, { recursive: true, force: true });
  }, BROWSER_TIMEOUT);

  it(
    'renders both messages with the banner, runs none of the mail’s script, loads nothing remote',
    async () => {
      // Arrange
      const { port } = tracker.address() as AddressInfo;
      const pointAtTracker = (message: Buffer) =>
        Buffer.from(
          message.toString().replace('https://tracker.example', `http://127.0.0.1:${port}`),
        );
      const file = join(out, 'preview.html');
      writeFileSync(
        file,
        await previewPage(pointAtTracker(HOSTILE), pointAtTracker(REWRITTEN), []),
      );
      const page = await browser.newPage();

      // Act
      await page.goto(pathToFileURL(file).href);
      const screenshot = await page.screenshot({ fullPage: true, path: join(out, 'preview.png') });

      // Assert
      const frames = page.frames().slice(1);
      expect(frames).toHaveLength(2);
      for (const frame of frames) {
        expect(await frame.locator('body').getAttribute('data-ran')).toBeNull();
        await expect(frame.getByText('"Quoted" offer').isVisible()).resolves.toBe(true);
      }
      await expect(frames[1]?.getByText('EXTERNAL SENDER').isVisible()).resolves.toBe(true);
      await expect(frames[0]?.getByText('EXTERNAL SENDER').count()).resolves.toBe(0);
      expect(trackerHits).toEqual([]);
      // A PNG of the whole page, as wide as the viewport.
      expect(screenshot.subarray(1, 4).toString()).toBe('PNG');
      expect(screenshot.readUInt32BE(16)).toBe(page.viewportSize()?.width);
    },
    BROWSER_TIMEOUT,
  );

  it(
    'keeps the banner on screen against a sender’s stylesheet aimed at it',
    async () => {
      // Every trick aimed at the banner itself, by our old fixed attribute and by its place.
      const hide = [
        'display:none',
        'visibility:hidden',
        'opacity:0',
        'position:absolute',
        'top:-9999px',
        'transform:scale(0)',
        'clip-path:inset(50%)',
        'height:0',
        'max-height:0',
        'overflow:hidden',
        'margin-top:-500px',
        'text-indent:-9999px',
        'filter:opacity(0)',
      ]
        .map((declaration) => `${declaration}!important`)
        .join(';');
      const style = `[data-mail-rewrite],[data-mail-rewrite="banner"],body>div:first-child,div:first-of-type{${hide}}`;
      const html = `<html><head><style>${style}</style></head><body><div>Pay today.</div></body></html>`;
      const message = Buffer.from(`Content-Type: text/html\r\n\r\n${html}\r\n`);
      const rules = {
        banner: { html: 'EXTERNAL SENDER' },
        marker: { header: 'X-Mail-Rewrite-Id', value: 'css-test' },
        untrusted: true,
      };
      const rewritten = (await rewriteBuffer(message, rules)).output.toString();
      const body = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);
      const page = await browser.newPage();
      const banner = async (document: string) => {
        await page.setContent(document);
        const box = await page.getByText('EXTERNAL SENDER').boundingBox();
        return {
          visible: await page.getByText('EXTERNAL SENDER').isVisible(),
          onScreen: box !== null && box.y >= 0 && box.height > 0 && box.width > 0,
        };
      };

      // Without the token and the inline declarations, the stylesheet hides it: the check can fail.
      await expect(
        banner(
          html.replace('<body>', '<body><div data-mail-rewrite="banner">EXTERNAL SENDER</div>'),
        ),
      ).resolves.toEqual({ visible: false, onScreen: false });
      await expect(banner(body(rewritten))).resolves.toEqual({ visible: true, onScreen: true });
    },
    BROWSER_TIMEOUT,
  );

  it(
    'writes a PNG of the whole preview once its frames have loaded (replay --screenshot)',
    async () => {
      const file = join(out, 'screenshot.html');
      const png = join(out, 'screenshot.png');
      writeFileSync(file, await previewPage(HOSTILE, REWRITTEN, []));

      await screenshotPage(file, png);

      const image = readFileSync(png);
      expect(image.subarray(1, 4).toString()).toBe('PNG');
      // IHDR: the viewport's width, and the whole page's height (taller than the frames alone).
      expect(image.readUInt32BE(16)).toBe(1400);
      expect(image.readUInt32BE(20)).toBeGreaterThan(600);
    },
    BROWSER_TIMEOUT,
  );

  it(
    'replay --screenshot writes the preview and its PNG, and lists both',
    async () => {
      const { code, stdout } = await replay('--screenshot', '--json', '--out', out);
      expect(code).toBe(0);
      const { files } = JSON.parse(stdout);
      expect(files.preview).toBe(join(out, `${INBOUND_ID}.preview.html`));
      expect(files.screenshot).toBe(join(out, `${INBOUND_ID}.preview.png`));
      expect(readFileSync(files.screenshot).subarray(1, 4).toString()).toBe('PNG');
    },
    BROWSER_TIMEOUT,
  );
});
