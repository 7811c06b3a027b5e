/**
 * Explicit limits for the tests that do real work, sized for a 2-core CI machine with the other
 * core busy (measured there at several times an idle machine's time). They catch hangs, not speed:
 * speed lives in `npm run bench`.
 */

/** One corpus source: up to a few thousand real messages through the engine and the checker. */
export const CORPUS_SOURCE_TIMEOUT = 600_000;

/** A property run: a hundred or more generated messages, each rewritten twice and rechunked. */
export const PROPERTY_RUN_TIMEOUT = 300_000;

/** A child process: tsx or the bundle starting cold, then a whole replay. */
export const CHILD_PROCESS_TIMEOUT = 120_000;

/** Headless Chromium starting and rendering a page. */
export const BROWSER_TIMEOUT = 120_000;
