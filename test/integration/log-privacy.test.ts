import type { WorkMailRunLambdaEvent } from '../../lambda/workmail';
import { loadEvent } from '../../local/events';
import { type Fault, SERVICE_UNAVAILABLE, THROTTLING } from '../../local/message-flow-emulator';
import type { S3FaultProxy } from '../../local/s3-fault-proxy';
import { testPolicy } from '../helpers/policies';
import { type Harness, startHarness } from '../helpers/rule-harness';

// Unique words that must never reach a log line at the default level.
const TOKENS = ['Zqsubjectq7', 'Zqbodyq7', 'zqsenderq7', 'zqrecipientq7', 'zqfromq7', 'zqheaderq7'];

const message = (closed = true) =>
  Buffer.from(
    `From: Someone <zqfromq7@partner.example>\r\nTo: zqrecipientq7@corp.example\r\nSubject: Zqsubjectq7 plans\r\n` +
      'X-Note: zqheaderq7\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n' +
      `Zqbodyq7 text\r\n${closed ? '--b--\r\n' : ''}`,
  );

function event(messageId: string): WorkMailRunLambdaEvent {
  const base = structuredClone(loadEvent('inbound.json'));
  base.envelope.mailFrom.address = 'zqsenderq7@partner.example';
  base.envelope.recipients = [{ address: 'zqrecipientq7@corp.example' }];
  return { ...base, messageId, subject: 'Zqsubjectq7 plans' };
}

type Setup = (harness: Harness) => void;
const getFault =
  (fault: Fault, times = 2): Setup =>
  (h) =>
    h.services.emulator.failNext('get', fault, times);
const putFault =
  (fault: Fault, times = 1): Setup =>
  (h) =>
    h.services.emulator.failNext('put', fault, times);

describe('logs at the default level', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.services.close();
  });

  it.each<{
    name: string;
    setup?: Setup;
    policy?: Record<string, unknown>;
    audit?: boolean;
    env?: Record<string, string>;
  }>([
    { name: 'the success path' },
    {
      name: 'a retry after our own Put',
      setup: (h) => void h.run(event('private-msg')).catch(() => undefined),
    },
    { name: 'throttling on Get', setup: getFault(THROTTLING) },
    { name: 'a 5xx on Put', setup: putFault(SERVICE_UNAVAILABLE, 2) },
    {
      name: 'MessageFrozen',
      setup: putFault({
        kind: 'error',
        error: 'MessageFrozen',
        message: 'Frozen: Subject: Zqsubjectq7 plans',
      }),
    },
    {
      name: 'a MessageRejected that quotes headers',
      setup: putFault({
        kind: 'error',
        error: 'MessageRejected',
        message:
          'Invalid header at line 3: Subject: Zqsubjectq7 plans; From: zqfromq7@partner.example; X-Note: zqheaderq7',
      }),
    },
    {
      name: 'InvalidContentLocation',
      setup: putFault({ kind: 'error', error: 'InvalidContentLocation' }),
    },
    { name: 'a connection reset', setup: getFault({ kind: 'reset' }) },
    { name: 'a body cut short', setup: getFault({ kind: 'truncate' }, 1) },
    {
      name: 'an S3 failure',
      setup: (h) =>
        (h.services.s3Faults as S3FaultProxy).failNext(
          { method: 'PUT' },
          { status: 500, code: 'InternalError' },
          2,
        ),
    },
    {
      name: 'a message the engine declines',
      setup: (h) => h.services.emulator.addMessage('private-msg', message(false)),
    },
    {
      name: 'a bounce by the fallback',
      setup: (h) => h.services.emulator.addMessage('private-msg', message(false)),
      policy: { fallback: { bounce: 'No.' } },
    },
    {
      name: 'a wrap by the fallback',
      setup: (h) => h.services.emulator.addMessage('private-msg', message(false)),
      policy: { fallback: 'wrap' },
    },
    { name: 'an audit rule that would bounce a recipient', audit: true },
    {
      name: 'an audit rule on a message it cannot change',
      setup: (h) => h.services.emulator.addMessage('private-msg', message(false)),
      audit: true,
    },
    { name: 'an original that cannot be kept', env: { ORIGINAL_BUCKET: 'no-such-bucket' } },
  ])('carry no subject, body or address on $name', async ({ setup, policy, audit, env }) => {
    const auditRule = {
      name: 'Audit',
      audit: true,
      when: { direction: 'INBOUND' },
      actions: {
        footer: { text: 'AUDITED' },
        deliver: {
          action: 'BOUNCE',
          bounceMessage: 'No.',
          recipients: ['zqrecipientq7@corp.example'],
        },
      },
    };
    harness = await startHarness(
      env ?? {},
      testPolicy({
        ...policy,
        rules: [
          {
            name: 'Tag',
            when: { direction: 'INBOUND' },
            actions: {
              subjectTag: '[EXT]',
              banner: { text: 'EXTERNAL' },
              headers: { 'X-Seen': 'yes' },
            },
          },
          ...(audit ? [auditRule] : []),
        ],
      }),
      { s3Faults: true, createOriginalBucket: false },
    );
    harness.services.emulator.addMessage('private-msg', message());
    setup?.(harness);
    await new Promise((resolve) => setTimeout(resolve, 50));

    await harness.run(event('private-msg')).catch(() => undefined);

    const logged = harness.log.text();
    expect(harness.log.entries.length).toBeGreaterThan(0);
    if (audit) expect(logged).toContain('audit:');
    if (env) expect(logged).toContain('the original could not be kept');
    for (const token of TOKENS) expect(logged.toLowerCase()).not.toContain(token.toLowerCase());
  });

  it('carry no address or subject for a malformed event', async () => {
    harness = await startHarness();
    const malformed = { ...event('private-msg'), flowDirection: 'zqsenderq7@partner.example' };
    await harness.run(malformed);
    for (const token of TOKENS)
      expect(harness.log.text().toLowerCase()).not.toContain(token.toLowerCase());
  });
});
