import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { UsageError } from './cli';

/** Debian's Chromium, or CHROMIUM_PATH; the same browser the preview's browser test uses. */
export function findChromium(): string {
  const found = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
    (path): path is string => !!path && existsSync(path),
  );
  if (!found) {
    throw new UsageError(
      '--screenshot needs Chromium: apt-get install chromium, or set CHROMIUM_PATH',
    );
  }
  return found;
}

/**
 * Renders a preview page in headless Chromium and writes a PNG of the whole page, once every
 * frame (each mail body is a sandboxed srcdoc frame) has loaded.
 */
export async function screenshotPage(pagePath: string, pngPath: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(pagePath).href, { waitUntil: 'load' });
    await Promise.all(page.frames().map((frame) => frame.waitForLoadState('load')));
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}
