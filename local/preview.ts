import { simpleParser } from 'mailparser';
import { escapeHtml } from '../lambda/rewrite';
import type { HeaderChange } from './message-diff';

/**
 * The page's policy, which the mail frames inherit (srcdoc frames take their parent's CSP): no
 * script, no remote load of any kind; inline styles and embedded `data:` images only.
 */
export const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** One message as a mail client shows it: subject, HTML body in a sandboxed frame, text body. */
async function column(title: string, message: Buffer): Promise<string> {
  // Inline images become data: URLs (the page allows those); no text is made up from the HTML.
  const parsed = await simpleParser(message, { skipHtmlToText: true });
  const html =
    typeof parsed.html === 'string'
      ? // `sandbox` with no permission: no scripts, no forms, no top navigation, an opaque origin.
        `<iframe sandbox="" title="${escapeHtml(title)} HTML body" srcdoc="${escapeHtml(parsed.html)}"></iframe>`
      : '<p class="none">(no HTML body)</p>';
  const text =
    parsed.text === undefined
      ? '<p class="none">(no text body)</p>'
      : `<pre>${escapeHtml(parsed.text)}</pre>`;
  return [
    `<section><h2>${escapeHtml(title)}</h2>`,
    `<p class="subject">${escapeHtml(parsed.subject ?? '(no subject)')}</p>`,
    `<h3>HTML</h3>${html}<h3>Text</h3>${text}</section>`,
  ].join('\n');
}

function headerRows(changes: readonly HeaderChange[]): string {
  if (!changes.length) return '<p class="none">(no header changed)</p>';
  const rows = changes.map(
    (h) =>
      `<tr><td>${h.change}</td><td>${escapeHtml(h.name)}</td><td>${escapeHtml(h.before ?? '')}</td><td>${escapeHtml(h.after ?? '')}</td></tr>`,
  );
  return `<table><tr><th>change</th><th>header</th><th>before</th><th>after</th></tr>${rows.join('')}</table>`;
}

/**
 * One self-contained HTML page with the original and the rewritten message side by side, as a
 * mail client would render them, and the headers that changed. The mail's HTML cannot run script
 * or load anything from the network.
 */
export async function previewPage(
  original: Buffer,
  rewritten: Buffer | undefined,
  headerChanges: readonly HeaderChange[],
): Promise<string> {
  const columns = [await column('Original', original)];
  columns.push(
    rewritten
      ? await column('Rewritten', rewritten)
      : '<section><h2>Rewritten</h2><p class="none">(the message was not changed)</p></section>',
  );
  return `<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}">
<title>Rewrite preview</title>
<style>
body { font-family: sans-serif; margin: 1em; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
iframe { width: 100%; height: 24em; border: 1px solid #999; background: #fff; }
pre { white-space: pre-wrap; border: 1px solid #ccc; padding: .5em; }
.none { color: #777; } .subject { font-weight: bold; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2em .5em; }
</style></head>
<body><h1>Rewrite preview</h1>
<h2>Headers that changed</h2>${headerRows(headerChanges)}
<main>${columns.join('\n')}</main>
</body></html>
`;
}
