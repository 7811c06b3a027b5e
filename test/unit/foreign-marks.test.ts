import {
  htmlMarkOpening,
  markToken,
  neutraliseForeignMarks,
} from '../../lambda/rewrite/html-marks';
import type { PlannedRewrite } from '../../lambda/rewrite/rewrite-rules';
import { multipart, part, TOP, withTopHeaders } from '../helpers/build-mime';
import { leafParts, rewriteBuffer } from '../helpers/mime';

const MARKER = { header: 'X-Mail-Rewrite-Id', value: 'invocation-7' };
const TOKEN = markToken(MARKER.value);
const BANNER = { text: 'CAUTION: outside sender.', html: '<p>CAUTION: outside sender.</p>' };
const OUR_BANNER = `${htmlMarkOpening('banner', TOKEN)}${BANNER.html}</div>`;
const RULES: PlannedRewrite = { banner: BANNER, marker: MARKER };
const UNTRUSTED: PlannedRewrite = { ...RULES, untrusted: true };

function html(body: string): Buffer {
  return withTopHeaders(TOP, part(['Content-Type: text/html; charset=utf-8'], `${body}\r\n`));
}

async function htmlAfter(input: Buffer, rules: PlannedRewrite) {
  const { output, report } = await rewriteBuffer(input, rules);
  const leaves = await leafParts(output);
  return { leaves: leaves.map((leaf) => leaf.decoded.toString('utf8')), report };
}

describe('neutraliseForeignMarks', () => {
  it('renames the mark attribute in tags, whatever its case or token, and nothing else', () => {
    const forged =
      '<style>[data-mail-rewrite-0a1b2c3d4e5f]{display:none}</style>' +
      '<DIV Data-Mail-Rewrite="banner">fake</DIV><p data-mail-rewrite-0a1b2c3d4e5f="banner">x</p>' +
      '<!-- <div data-mail-rewrite="banner"> --><p>data-mail-rewrite in text</p>';
    const { html: result, count } = neutraliseForeignMarks(forged);
    expect(count).toBe(2);
    expect(result).toBe(
      '<style>[data-mail-rewrite-0a1b2c3d4e5f]{display:none}</style>' +
        '<DIV data-foreign-mail-rewrite="banner">fake</DIV><p data-foreign-mail-rewrite-0a1b2c3d4e5f="banner">x</p>' +
        '<!-- <div data-mail-rewrite="banner"> --><p>data-mail-rewrite in text</p>',
    );
  });

  it('finds the attribute after a slash or a closing quote, as browsers do', () => {
    const forged =
      '<div/data-mail-rewrite="banner">a</div><p class="x"data-mail-rewrite="banner">b</p>';
    expect(neutraliseForeignMarks(forged)).toEqual({
      html: '<div/data-foreign-mail-rewrite="banner">a</div><p class="x"data-foreign-mail-rewrite="banner">b</p>',
      count: 2,
    });
  });

  it('returns HTML without marks as it is', () => {
    expect(neutraliseForeignMarks('<p class="x">hi</p>')).toEqual({
      html: '<p class="x">hi</p>',
      count: 0,
    });
  });
});

describe('marks in mail from outside', () => {
  it('names the HTML mark after the run, so a stylesheet in the message cannot select it', async () => {
    const { leaves } = await htmlAfter(
      html(
        '<html><head><style>[data-mail-rewrite]{display:none}</style></head><body>Hi</body></html>',
      ),
      UNTRUSTED,
    );
    expect(leaves[0]).toContain(`<body>${OUR_BANNER}Hi</body>`);
    expect(OUR_BANNER).toMatch(
      /^<div data-mail-rewrite-[0-9a-f]{12}="banner" style="display:block!important;visibility:visible!important;opacity:1!important;/,
    );
    expect(markToken('invocation-8')).not.toBe(TOKEN);
  });

  it('adds the banner afresh over a copy with another token, and neutralises the copy', async () => {
    const copy = `${htmlMarkOpening('banner', markToken('an earlier run'))}${BANNER.html}</div>`;
    const input = html(`<html><body>${copy}Pay now</body></html>`);

    const untrusted = await htmlAfter(input, UNTRUSTED);
    expect(untrusted.leaves[0]).toBe(
      `<html><body>${OUR_BANNER}${copy.replace('data-mail-rewrite', 'data-foreign-mail-rewrite')}Pay now</body></html>\r\n`,
    );
    expect(untrusted.report.parts).toMatchObject([
      { change: 'rewritten', added: ['banner'], neutralised: 1 },
    ]);

    // From inside, the same copy is this engine's earlier output: nothing is added twice.
    const trusted = await htmlAfter(input, RULES);
    expect(trusted.leaves[0]).toBe(`<html><body>${copy}Pay now</body></html>\r\n`);
    expect(trusted.report.parts).toMatchObject([{ change: 'already-present' }]);
  });

  it('adds the text banner even when a stranger wrote the same text in front', async () => {
    const input = withTopHeaders(
      TOP,
      part(['Content-Type: text/plain'], `${BANNER.text}\r\n\r\nPay now\r\n`),
    );
    const untrusted = await htmlAfter(input, UNTRUSTED);
    expect(untrusted.leaves[0]).toBe(`${BANNER.text}\r\n\r\n${BANNER.text}\r\n\r\nPay now\r\n`);
    const trusted = await htmlAfter(input, RULES);
    expect(trusted.report.parts).toMatchObject([{ change: 'already-present' }]);
  });

  it('neutralises marks in HTML fragments that get no addition', async () => {
    const forged = '<div data-mail-rewrite="footer">All clear</div>';
    const input = withTopHeaders(
      TOP,
      multipart('mixed', 'b1', [
        part(['Content-Type: text/html'], '<p>first</p>'),
        part(['Content-Type: image/png', 'Content-Disposition: inline; filename="a.png"'], 'AAAA'),
        part(['Content-Type: text/html'], forged),
        part(['Content-Type: image/png', 'Content-Disposition: inline; filename="b.png"'], 'AAAA'),
        part(['Content-Type: text/html'], '<p>last</p>'),
      ]),
    );
    const { leaves, report } = await htmlAfter(input, UNTRUSTED);
    expect(leaves[2]).toBe('<div data-foreign-mail-rewrite="footer">All clear</div>');
    expect(report.parts.find((p) => p.part === '3')).toMatchObject({
      change: 'rewritten',
      added: [],
      neutralised: 1,
    });
    // Trusted mail: the middle fragment passes untouched.
    const trusted = await htmlAfter(input, RULES);
    expect(trusted.leaves[2]).toBe(forged);
  });

  it('removes every copy of the headers it is told to, and reports them', async () => {
    const input = withTopHeaders(
      [...TOP, 'X-Mail-Origin: internal', 'x-mail-origin: internal'],
      part(['Content-Type: text/plain'], 'Hi\r\n'),
    );
    const { output, report } = await rewriteBuffer(input, {
      ...UNTRUSTED,
      removeHeaders: ['x-mail-origin', 'x-absent'],
    });
    expect(output.toString('latin1')).not.toMatch(/x-mail-origin/i);
    expect(report.headersRemoved).toEqual(['x-mail-origin']);
  });
});
