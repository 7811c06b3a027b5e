import { Parser } from 'htmlparser2';
import { PREVIEW_CSP, previewPage } from '../../local/preview';
import { HOSTILE, REWRITTEN } from '../helpers/preview-fixtures';

interface Tag {
  name: string;
  attribs: Record<string, string>;
}

/** Every element of the page, as an HTML parser sees it. */
function elements(page: string): Tag[] {
  const found: Tag[] = [];
  const parser = new Parser({ onopentag: (name, attribs) => found.push({ name, attribs }) });
  parser.end(page);
  return found;
}

describe('the replay preview page', () => {
  it('shows both messages and the changed headers, with the mail’s HTML unable to run or load anything', async () => {
    const page = await previewPage(HOSTILE, REWRITTEN, [
      { change: 'changed', name: 'Subject', before: 'Offer', after: '[EXTERNAL] Offer' },
    ]);
    const all = elements(page);
    const frames = all.filter((e) => e.name === 'iframe');

    // The page itself has no script, no remote reference, and forbids both to its frames.
    expect(all.filter((e) => e.name === 'script')).toEqual([]);
    expect(all.some((e) => Object.keys(e.attribs).some((a) => a.startsWith('on')))).toBe(false);
    expect(all.some((e) => e.attribs.src !== undefined)).toBe(false);
    expect(
      all.find((e) => e.attribs['http-equiv'] === 'Content-Security-Policy')?.attribs.content,
    ).toBe(PREVIEW_CSP);
    expect(PREVIEW_CSP).toContain("default-src 'none'");
    // Each HTML body sits in a frame with an empty sandbox: no scripts, an opaque origin.
    expect(frames).toHaveLength(2);
    for (const frame of frames) expect(frame.attribs.sandbox).toBe('');
    expect(frames[0]?.attribs.srcdoc).toContain(
      '<script>document.body.setAttribute("data-ran", "yes")</script>',
    );
    expect(frames[1]?.attribs.srcdoc).toContain('<div>EXTERNAL SENDER</div>');
    expect(page).toContain('Plain &lt;offer&gt; &amp; more');
    expect(page).toContain('[EXTERNAL] Offer');
  });

  it('says so when the message was not changed', async () => {
    const page = await previewPage(HOSTILE, undefined, []);
    expect(page).toContain('(the message was not changed)');
    expect(page).toContain('(no header changed)');
  });

  it('explains the run: each rule with its verdicts, what changed and why, attachments, the refusal', async () => {
    const page = await previewPage(HOSTILE, REWRITTEN, [], {
      rules: [
        {
          rule: 'Warn <outside>',
          audit: false,
          applies: true,
          when: [
            {
              condition: 'sender: external',
              holds: true,
              why: 'external: the From: domain a.example is not one of organizationDomains (corp.example)',
            },
          ],
          unless: [
            {
              condition: 'subjectContains: "[SECURE]"',
              holds: false,
              why: 'the subject contains none of them',
            },
          ],
        },
        {
          rule: 'Later',
          audit: true,
          applies: false,
          when: [],
          unless: [],
          stoppedBy: 'Warn <outside>',
        },
      ],
      subject: { before: 'Offer', after: '[EXTERNAL] Offer' },
      changes: ['Subject: tag put in front', '1 text/html: banner added'],
      attachments: [{ filename: 'a<b>.pdf', contentType: 'application/pdf', bytes: 12 }],
      refusal: 'Subject appears 2 times <at most once>',
    });
    expect(page).toContain(
      'WorkMail would refuse the rewritten message: Subject appears 2 times &lt;at most once&gt;',
    );
    expect(page).toContain('<td>Warn &lt;outside&gt;</td><td>applies</td>');
    expect(page).toContain(
      '<li>when sender: external: holds: external: the From: domain a.example is not one of organizationDomains (corp.example)</li>',
    );
    expect(page).toContain(
      '<li>unless subjectContains: &quot;[SECURE]&quot;: does not hold: the subject contains none of them</li>',
    );
    expect(page).toContain(
      '<td>Later (audit only)</td><td>not evaluated: &quot;Warn &lt;outside&gt;&quot; says stop</td>',
    );
    expect(page).toContain('<li>1 text/html: banner added</li>');
    expect(page).toContain('<li>a&lt;b&gt;.pdf (application/pdf, 12 bytes)</li>');
    expect(elements(page).filter((e) => e.name === 'script')).toEqual([]);
  });
});
