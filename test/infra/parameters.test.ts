import { App, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CONTEXT, ParameterError, readParameters } from '../../infra/parameters';
import { ORG_ID } from '../helpers/synth';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

function parametersOf(context: Record<string, unknown>) {
  return readParameters(new App({ context }).node);
}

describe('readParameters', () => {
  it('reads the organization id and applies the defaults', () => {
    expect(parametersOf({ [CONTEXT.organizationId]: ORG_ID })).toEqual({
      organizationId: ORG_ID,
      stackName: 'WorkMailRewriteRule',
    });
  });

  it('reads every optional parameter', () => {
    expect(
      parametersOf({
        [CONTEXT.organizationId]: ORG_ID,
        [CONTEXT.bucketName]: 'acme-mail-rewrite',
        [CONTEXT.logRetentionDays]: '90',
        [CONTEXT.stackName]: 'AcmeMailRule',
        [CONTEXT.reservedConcurrency]: '20',
        [CONTEXT.alarmEmail]: 'mail-admin@corp.example',
        [CONTEXT.keepOriginalDays]: '7',
        [CONTEXT.kmsKeyArn]: KEY_ARN,
        [CONTEXT.removalPolicy]: 'retain',
      }),
    ).toEqual({
      kmsKeyArn: KEY_ARN,
      removalPolicy: RemovalPolicy.RETAIN,
      organizationId: ORG_ID,
      reservedConcurrency: 20,
      alarmEmail: 'mail-admin@corp.example',
      bucketName: 'acme-mail-rewrite',
      logRetention: RetentionDays.THREE_MONTHS,
      keepOriginalDays: 7,
      stackName: 'AcmeMailRule',
    });
  });

  it('reads unreserved concurrency, and a multi-Region key', () => {
    const mrk = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef';
    expect(
      parametersOf({
        [CONTEXT.organizationId]: ORG_ID,
        [CONTEXT.reservedConcurrency]: 'unreserved',
        [CONTEXT.kmsKeyArn]: mrk,
        [CONTEXT.removalPolicy]: 'destroy',
        [CONTEXT.eventLogGroup]: '/aws/workmail/events',
        [CONTEXT.ruleName]: 'Warn external',
      }),
    ).toMatchObject({
      eventLogGroup: '/aws/workmail/events',
      ruleName: 'Warn external',
      reservedConcurrency: 'unreserved',
      kmsKeyArn: mrk,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  it('fails on a key of another region than the stack’s, when the region is known', () => {
    const context = { [CONTEXT.organizationId]: ORG_ID, [CONTEXT.kmsKeyArn]: KEY_ARN };
    expect(() => readParameters(new App({ context }).node, 'us-east-1')).toThrow(
      new ParameterError(
        "context value kmsKeyArn names a key in eu-west-1, but the stack deploys to us-east-1: S3 can only use a key of the bucket's region",
      ),
    );
    expect(readParameters(new App({ context }).node, 'eu-west-1')).toMatchObject({
      kmsKeyArn: KEY_ARN,
    });
  });

  it.each(['0', 0, ''])('keeps no originals when keepOriginalDays is %o', (days) => {
    expect(
      parametersOf({ [CONTEXT.organizationId]: ORG_ID, [CONTEXT.keepOriginalDays]: days }),
    ).not.toHaveProperty('keepOriginalDays');
  });

  it.each([
    ['1', 1],
    [365, 365],
  ])('accepts keepOriginalDays %o', (days, expected) => {
    expect(
      parametersOf({ [CONTEXT.organizationId]: ORG_ID, [CONTEXT.keepOriginalDays]: days }),
    ).toMatchObject({ keepOriginalDays: expected });
  });

  it.each([
    [{}, /^context value orgId is required: run cdk deploy -c orgId=m-/],
    [
      { orgId: 'm-123' },
      /^context value orgId must be m- followed by 32 lower-case hex digits, got "m-123"$/,
    ],
    [
      { orgId: ORG_ID, bucketName: 'Acme_Mail' },
      /^context value bucketName must be 3-63 characters .*got "Acme_Mail"$/,
    ],
    [
      { orgId: ORG_ID, logRetentionDays: '10' },
      /^context value logRetentionDays must be one of .*got "10"$/,
    ],
    [
      { orgId: ORG_ID, reservedConcurrency: '0' },
      /^context value reservedConcurrency must be a whole number from 1, or unreserved, got "0"$/,
    ],
    [
      { orgId: ORG_ID, kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:alias/mail' },
      /^context value kmsKeyArn must be a KMS key ARN .*not an alias.*got "arn:aws:kms:eu-west-1:111122223333:alias\/mail"$/,
    ],
    [
      { orgId: ORG_ID, ruleName: 'Warn external' },
      /^context value ruleName needs eventLogGroup and must not contain a double quote/,
    ],
    [
      { orgId: ORG_ID, eventLogGroup: 'my events' },
      /^context value eventLogGroup must be a log group name/,
    ],
    [
      { orgId: ORG_ID, removalPolicy: 'constructor' },
      /^context value removalPolicy must be retain or destroy, got "constructor"$/,
    ],
    [
      { orgId: ORG_ID, alarmEmail: 'not-an-address' },
      /^context value alarmEmail must be an e-mail address/,
    ],
  ])('fails with a message naming the parameter (%o)', (context, message) => {
    expect(() => parametersOf(context)).toThrow(ParameterError);
    expect(() => parametersOf(context)).toThrow(message);
  });

  it.each(['366', '-1', '1.5', '07', 'seven', true])(
    'fails with one line naming keepOriginalDays when it is %o',
    (days) => {
      expect(() => parametersOf({ orgId: ORG_ID, keepOriginalDays: days })).toThrow(
        new ParameterError(
          `context value keepOriginalDays must be a whole number of days from 1 to 365 (0: keep no originals), got "${days}"`,
        ),
      );
    },
  );
});
