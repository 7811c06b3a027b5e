import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledPolicy } from '../../lambda/policy/bundled-policy';
import { parsePolicy } from '../../lambda/policy/load-policy';
import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { part, withTopHeaders } from '../helpers/build-mime';
import { leafParts, topHeader } from '../helpers/mime';
import { type Harness, startHarness } from '../helpers/rule-harness';

const inbound = loadEvent('inbound.json');

/** The policy guide's own external-sender example (docs/policy.md), as a reader would copy it. */
function readmeWarningRule(): unknown {
  const readme = readFileSync(join(__dirname, '..', '..', 'docs', 'policy.md'), 'utf8');
  const at = readme.indexOf('External-sender warning');
  const block = /```json\n([\s\S]*?)```/.exec(readme.slice(at));
  return JSON.parse(block?.[1] ?? 'null');
}

function mail(subject: string, from = 'alice@partner.example'): Buffer {
  return withTopHeaders(
    [`From: ${from}`, 'To: bob@corp.example', `Subject: ${subject}`, 'MIME-Version: 1.0'],
    part(['Content-Type: text/plain; charset=utf-8'], 'Please pay the attached invoice.\r\n'),
  );
}

async function warned(harness: Harness, messageId: string) {
  const stored = harness.services.emulator.message(messageId) ?? Buffer.alloc(0);
  const [leaf] = await leafParts(stored);
  return {
    subject: topHeader(stored, 'subject'),
    banner: leaf?.decoded.toString('utf8').startsWith('CAUTION') ?? false,
  };
}

describe('exemptions a stranger cannot forge, through the handler', () => {
  let harness: Harness;
  let sequence = 0;

  beforeAll(async () => {
    const policy = parsePolicy(
      { organizationDomains: ['corp.example'], rules: [readmeWarningRule()] },
      'README example',
    );
    harness = await startHarness({}, policy);
  });

  afterAll(async () => {
    await harness.services.close();
  });

  async function run(message: Buffer, authenticationResults?: string) {
    const messageId = `exempt-${++sequence}`;
    const headed = authenticationResults
      ? Buffer.concat([
          Buffer.from(`Authentication-Results: ${authenticationResults}\r\n`),
          message,
        ])
      : message;
    harness.services.emulator.addMessage(messageId, headed);
    const result = await harness.run({ ...inbound, messageId, invocationId: `${messageId}-i` });
    return { result, ...(await warned(harness, messageId)) };
  }

  it('warns about a forged partner envelope sender', async () => {
    const { result, banner } = await run(mail('Invoice'));
    expect(result.outcome).toBe('rewritten');
    expect(banner).toBe(true);
  });

  it('warns about mail whose subject already starts with the tag', async () => {
    const { result, banner, subject } = await run(mail('[EXTERNAL] Invoice'));
    expect(result.outcome).toBe('rewritten');
    expect(banner).toBe(true);
    expect(subject).toBe('[EXTERNAL] Invoice');
  });

  it('exempts the partner whose From: domain the receiving service authenticated', async () => {
    const { result } = await run(
      mail('Invoice'),
      'amazonses.com; spf=pass smtp.mailfrom=partner.example; dmarc=pass header.from=partner.example',
    );
    expect(result.outcome).toBe('unchanged');
  });
});

describe('events as WorkMail sends them, through the handler', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({}, bundledPolicy());
  });

  afterAll(async () => {
    await harness.services.close();
  });

  it.each([
    [
      'an empty envelope sender (a bounce)',
      'null-1',
      (e: WorkMailRunLambdaEvent) => {
        e.envelope.mailFrom = { address: '' };
      },
    ],
    [
      'no envelope sender at all',
      'null-2',
      (e: WorkMailRunLambdaEvent) => {
        delete (e.envelope as { mailFrom?: unknown }).mailFrom;
      },
    ],
    ['a message id outside the anchored pattern', 'Msg_ID.1', () => undefined],
  ])('warns about mail with %s', async (_case, messageId, change) => {
    harness.services.emulator.addMessage(
      messageId,
      mail('Undeliverable', 'MAILER-DAEMON@x.example'),
    );
    const event = structuredClone({ ...inbound, messageId, invocationId: `${messageId}-i` });
    change(event);
    const result = await harness.run(event);
    expect(result.outcome).toBe('rewritten');
    expect(await warned(harness, messageId)).toEqual({
      subject: '[EXTERNAL] Undeliverable',
      banner: true,
    });
  });
});
