import {
  InvalidContentLocation,
  MessageFrozen,
  MessageRejected,
  ResourceNotFoundException,
} from '@aws-sdk/client-workmailmessageflow';
import { ServiceError } from '../../lambda/aws/port-errors';
import { fromSdkError } from '../../lambda/aws/sdk-errors';
import { InvalidEventError } from '../../lambda/errors';
import { classifyFailure } from '../../lambda/failure-outcome';
import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';
import { failureFields, rejectionDetails } from '../../lambda/rule/log-fields';
import { OutOfTimeError } from '../../lambda/time-budget';

const metadata = { $metadata: {} };

function serviceError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode }, $fault: 'server' });
}

/** What the rule sees of an SDK failure: the adapter's translation. */
const viaAdapter = (error: Error) => classifyFailure(fromSdkError(error));

describe('classifyFailure', () => {
  it.each([
    ['MessageFrozen', new MessageFrozen({ message: 'frozen', ...metadata }), 'message-frozen'],
    ['MessageRejected', new MessageRejected({ message: 'bad', ...metadata }), 'message-rejected'],
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({ message: 'gone', ...metadata }),
      'message-not-found',
    ],
    [
      'InvalidContentLocation',
      new InvalidContentLocation({ message: 'policy', ...metadata }),
      'invalid-content-location',
    ],
    ['S3 AccessDenied', serviceError('AccessDenied', 403), 'unexpected-error'],
  ])('delivers unchanged on %s, as the adapter reports it', (_name, error, reason) => {
    expect(fromSdkError(error)).toBeInstanceOf(ServiceError);
    expect(viaAdapter(error)).toMatchObject({ action: 'deliver-unchanged', reason });
  });

  it.each([
    ['InvalidEventError', new InvalidEventError('messageId', 'is missing'), 'invalid-event'],
    [
      'a declined message',
      new RewriteDeclinedError('unparseable', 'EMAXLEN'),
      'declined-unparseable',
    ],
    [
      'a message with a long line',
      new RewriteDeclinedError('line-too-long', 'long'),
      'declined-line-too-long',
    ],
    ['the budget running out', new OutOfTimeError('late'), 'out-of-time'],
    ['an unknown error', new Error('bug'), 'unexpected-error'],
  ])('delivers unchanged on %s', (_name, error, reason) => {
    expect(classifyFailure(error)).toMatchObject({ action: 'deliver-unchanged', reason });
  });

  it('classifies own errors by code, whatever their class is called (the bundle renames classes)', () => {
    class Q extends RewriteDeclinedError {}
    Object.defineProperty(Q, 'name', { value: 'e' });
    const renamed = new Q('missing-final-boundary', 'no closing delimiter');
    renamed.name = 'x';
    expect(classifyFailure(renamed)).toMatchObject({
      action: 'deliver-unchanged',
      reason: 'declined-missing-final-boundary',
      severity: 'warn',
    });
  });

  it.each([
    ['throttling', serviceError('ThrottlingException', 400), 'throttled'],
    ['HTTP 429', serviceError('TooManyRequests', 429), 'throttled'],
    ['HTTP 503', serviceError('ServiceUnavailable', 503), 'transient-error'],
    ['HTTP 500', serviceError('InternalFailure', 500), 'transient-error'],
    [
      'a conditional write racing another (S3 409)',
      serviceError('ConditionalRequestConflict', 409),
      'transient-error',
    ],
    [
      'a reset connection',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'transient-error',
    ],
    [
      'a timeout',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'transient-error',
    ],
  ])('retries on %s, as the adapter reports it', (_name, error, reason) => {
    expect(viaAdapter(error)).toEqual({ action: 'retry', reason });
  });

  it('retries on a missing body', () => {
    const error = new ServiceError('message-body-missing', 'MissingMessageBody', 'no body');
    expect(classifyFailure(error)).toEqual({ action: 'retry', reason: 'message-body-missing' });
  });

  it('retries on a reset connection of the message stream (not through an adapter)', () => {
    const error = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    expect(classifyFailure(error)).toEqual({ action: 'retry', reason: 'transient-error' });
  });

  it('retries on a transient error wrapped as the cause of another', () => {
    const cause = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    expect(classifyFailure(new Error('upload failed', { cause }))).toMatchObject({
      action: 'retry',
    });
  });

  it('delivers unchanged on something that is not an error at all', () => {
    expect(classifyFailure('a string')).toMatchObject({
      action: 'deliver-unchanged',
      reason: 'unexpected-error',
    });
  });
});

describe('fromSdkError', () => {
  it('leaves errors that came from no service as they are', () => {
    const own = new RewriteDeclinedError('empty', 'empty');
    const closed = Object.assign(new Error('closed'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(fromSdkError(own)).toBe(own);
    expect(fromSdkError(closed)).toBe(closed);
  });

  it('keeps the service’s error name and the SDK error as the cause', () => {
    const sdk = new MessageRejected({ message: 'bad', ...metadata });
    expect(fromSdkError(sdk)).toMatchObject({ name: 'MessageRejected', cause: sdk });
  });
});

describe('failureFields', () => {
  it('logs the project’s own texts, and only the safe parts of a service’s text', () => {
    const own = failureFields(new InvalidEventError('messageId', 'is missing'), 'invalid-event');
    const service = failureFields(
      fromSdkError(new MessageRejected({ message: 'Subject: secret at line 3', ...metadata })),
      'message-rejected',
    );
    expect(own).toMatchObject({ errorMessage: 'event field messageId is missing' });
    expect(service).toMatchObject({
      errorName: 'MessageRejected',
      rejection: { headerNames: ['Subject'], lineNumbers: [3] },
    });
    expect(JSON.stringify(service)).not.toMatch(/secret/);
  });
});

describe('rejectionDetails', () => {
  it('keeps header names and line numbers, and drops values', () => {
    const details = rejectionDetails(
      'Header Subject: Project Falcon is invalid at line 12; duplicate Message-ID: <x@y> on line 40; X-Custom-Tag: secret',
    );
    expect(details).toEqual({
      headerNames: ['Subject', 'Message-ID', 'X-Custom-Tag'],
      lineNumbers: [12, 40],
    });
    expect(JSON.stringify(details)).not.toMatch(/Falcon|secret|x@y/);
  });

  it('does not mistake words before a colon for header names', () => {
    expect(rejectionDetails('Reason: Confidential: the text').headerNames).toEqual([]);
  });
});
