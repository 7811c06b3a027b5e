import {
  InvalidContentLocation,
  MessageFrozen,
  MessageRejected,
  ResourceNotFoundException,
} from '@aws-sdk/client-workmailmessageflow';
import { InvalidEventError, MissingMessageBodyError } from '../../lambda/errors';
import { classifyFailure, rejectionDetails } from '../../lambda/failure-outcome';
import { RewriteDeclinedError } from '../../lambda/rewrite/rewrite-declined';

const metadata = { $metadata: {} };

function serviceError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode }, $fault: 'server' });
}

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
    ['an unknown error', new Error('bug'), 'unexpected-error'],
    ['S3 AccessDenied', serviceError('AccessDenied', 403), 'unexpected-error'],
  ])('delivers unchanged on %s', (_name, error, reason) => {
    expect(classifyFailure(error)).toMatchObject({ action: 'deliver-unchanged', reason });
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
    ['a missing body', new MissingMessageBodyError('no body'), 'message-body-missing'],
  ])('retries on %s', (_name, error, reason) => {
    expect(classifyFailure(error)).toEqual({ action: 'retry', reason });
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
