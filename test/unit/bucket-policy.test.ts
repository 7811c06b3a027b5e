import {
  evaluateBucketPolicy,
  PolicyEvaluationError,
  type PolicyRequest,
} from '../../local/bucket-policy';
import { shippedBucketPolicy } from '../helpers/bucket-policies';

const ORG = 'm-0123456789abcdef0123456789abcdef';
const ACCOUNT = '111122223333';
const BUCKET_ARN = 'arn:aws:s3:::mail-bucket';

/** The policy the stack ships, for bucket `mail-bucket`. */
function shippedPolicy() {
  return shippedBucketPolicy({
    bucket: 'mail-bucket',
    region: 'eu-west-1',
    account: ACCOUNT,
    organizationId: ORG,
  });
}

function workMailRead(changes: Partial<PolicyRequest> = {}, context = {}): PolicyRequest {
  return {
    principal: { service: 'workmail.eu-west-1.amazonaws.com' },
    action: 's3:GetObject',
    resource: `${BUCKET_ARN}/rewritten/abc`,
    ...changes,
    context: {
      'aws:SourceAccount': ACCOUNT,
      'aws:SourceArn': `arn:aws:workmailmessageflow:eu-west-1:${ACCOUNT}:message/${ORG}/incoming/abc-1`,
      'aws:SecureTransport': 'true',
      ...context,
    },
  };
}

describe('evaluateBucketPolicy, with the policy the stack ships', () => {
  it('lets the regional WorkMail principal read a message of its organization, both directions', () => {
    // Act
    const inbound = evaluateBucketPolicy(shippedPolicy(), workMailRead());
    const outbound = evaluateBucketPolicy(
      shippedPolicy(),
      workMailRead(
        {},
        {
          'aws:SourceArn': `arn:aws:workmailmessageflow:eu-west-1:${ACCOUNT}:message/${ORG}/outgoing/abc-2`,
        },
      ),
    );
    // Assert
    expect(inbound).toEqual({
      allowed: true,
      statement: 'statement WorkMailReadsRewrittenMessages',
    });
    expect(outbound.allowed).toBe(true);
  });

  it('lets it read a named version (s3:GetObjectVersion)', () => {
    expect(
      evaluateBucketPolicy(shippedPolicy(), workMailRead({ action: 's3:GetObjectVersion' })),
    ).toMatchObject({ allowed: true });
  });

  it.each([
    [
      'the principal of another region',
      workMailRead({ principal: { service: 'workmail.us-east-1.amazonaws.com' } }),
      'no Allow statement names workmail.us-east-1.amazonaws.com',
    ],
    [
      'the global workmail principal',
      workMailRead({ principal: { service: 'workmail.amazonaws.com' } }),
      'no Allow statement names workmail.amazonaws.com',
    ],
    [
      'another account as aws:SourceAccount',
      workMailRead({}, { 'aws:SourceAccount': '444455556666' }),
      'StringEquals aws:SourceAccount',
    ],
    [
      'a message of another organization',
      workMailRead(
        {},
        {
          'aws:SourceArn': `arn:aws:workmailmessageflow:eu-west-1:${ACCOUNT}:message/m-ffffffffffffffffffffffffffffffff/incoming/abc-1`,
        },
      ),
      'ArnLike aws:SourceArn',
    ],
    [
      'the organization ARN instead of the message ARN',
      workMailRead(
        {},
        { 'aws:SourceArn': `arn:aws:workmail:eu-west-1:${ACCOUNT}:organization/${ORG}` },
      ),
      'ArnLike aws:SourceArn',
    ],
    [
      'no aws:SourceArn at all',
      {
        ...workMailRead(),
        context: { 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'true' },
      },
      'ArnLike aws:SourceArn',
    ],
    [
      'a key outside the prefix',
      workMailRead({ resource: `${BUCKET_ARN}/originals/abc` }),
      'its Resource',
    ],
    [
      'another bucket',
      workMailRead({ resource: 'arn:aws:s3:::mail-bucket-2/rewritten/abc' }),
      'its Resource',
    ],
    ['an action it does not grant', workMailRead({ action: 's3:PutObject' }), 'its Action'],
  ])('refuses %s', (_name, request, why) => {
    // Act
    const decision = evaluateBucketPolicy(shippedPolicy(), request);
    // Assert
    expect(decision.allowed).toBe(false);
    expect(!decision.allowed && decision.reason).toContain(why);
  });

  it('refuses a read without TLS through the Deny statement, which outranks any Allow', () => {
    // Prepare: a policy that also allows everything to WorkMail
    const policy = shippedPolicy();
    policy.Statement.push({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: '*',
      Resource: '*',
    } as never);
    // Act
    const plain = evaluateBucketPolicy(
      policy,
      workMailRead({}, { 'aws:SecureTransport': 'false' }),
    );
    // Assert
    expect(plain).toEqual({
      allowed: false,
      reason: `statement #1 denies s3:GetObject on ${BUCKET_ARN}/rewritten/abc`,
    });
  });

  it('gives the WorkMail principal nothing through a statement for another principal', () => {
    const policy = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Other` },
          Action: 's3:*',
          Resource: '*',
        },
      ],
    };
    expect(evaluateBucketPolicy(policy, workMailRead()).allowed).toBe(false);
    expect(
      evaluateBucketPolicy(policy, {
        ...workMailRead(),
        principal: { arn: `arn:aws:iam::${ACCOUNT}:role/Other` },
      }).allowed,
    ).toBe(true);
  });
});

describe('evaluateBucketPolicy, operators and elements', () => {
  function allowWhen(condition: Record<string, Record<string, unknown>>, extra = {}) {
    return {
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:get*',
          Resource: `${BUCKET_ARN}/rewritten/???`,
          Condition: condition,
          ...extra,
        },
      ],
    };
  }

  it('matches actions case-insensitively with wildcards, and ? as one character', () => {
    expect(evaluateBucketPolicy(allowWhen({}), workMailRead()).allowed).toBe(true);
    expect(
      evaluateBucketPolicy(
        allowWhen({}),
        workMailRead({ resource: `${BUCKET_ARN}/rewritten/abcd` }),
      ).allowed,
    ).toBe(false);
  });

  it('takes any of several values, and needs every key', () => {
    const policy = allowWhen({
      StringEquals: { 'aws:SourceAccount': ['444455556666', ACCOUNT], 'aws:sourcearn': 'x' },
    });
    expect(evaluateBucketPolicy(policy, workMailRead({}, { 'aws:SourceArn': 'x' })).allowed).toBe(
      true,
    );
    expect(evaluateBucketPolicy(policy, workMailRead()).allowed).toBe(false);
  });

  it('holds a negated operator when the key is absent, and IfExists any operator', () => {
    const absent = { ...workMailRead(), context: {} };
    expect(
      evaluateBucketPolicy(allowWhen({ StringNotEquals: { 'aws:SourceAccount': ACCOUNT } }), absent)
        .allowed,
    ).toBe(true);
    expect(
      evaluateBucketPolicy(allowWhen({ StringEquals: { 'aws:SourceAccount': ACCOUNT } }), absent)
        .allowed,
    ).toBe(false);
    expect(
      evaluateBucketPolicy(
        allowWhen({ StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT } }),
        absent,
      ).allowed,
    ).toBe(true);
    expect(
      evaluateBucketPolicy(
        allowWhen({ StringNotEquals: { 'aws:SourceAccount': ACCOUNT } }),
        workMailRead(),
      ).allowed,
    ).toBe(false);
  });

  it('tests presence with Null', () => {
    const policy = allowWhen({ Null: { 'aws:SourceArn': 'false' } });
    expect(evaluateBucketPolicy(policy, workMailRead()).allowed).toBe(true);
    expect(evaluateBucketPolicy(policy, { ...workMailRead(), context: {} }).allowed).toBe(false);
  });

  it('keeps ArnLike wildcards inside one part of the ARN', () => {
    const policy = allowWhen({
      ArnLike: { 'aws:SourceArn': 'arn:aws:workmailmessageflow:*:message/*' },
    });
    // `*` may not span the region and account parts.
    expect(evaluateBucketPolicy(policy, workMailRead()).allowed).toBe(false);
    const perPart = allowWhen({
      ArnLike: { 'aws:SourceArn': 'arn:aws:workmailmessageflow:*:*:message/*' },
    });
    expect(evaluateBucketPolicy(perPart, workMailRead()).allowed).toBe(true);
  });

  it('reads NotAction and NotResource', () => {
    const policy = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          NotAction: 's3:Put*',
          NotResource: `${BUCKET_ARN}/private/*`,
        },
      ],
    };
    expect(evaluateBucketPolicy(policy, workMailRead()).allowed).toBe(true);
    expect(evaluateBucketPolicy(policy, workMailRead({ action: 's3:PutObject' })).allowed).toBe(
      false,
    );
    expect(
      evaluateBucketPolicy(policy, workMailRead({ resource: `${BUCKET_ARN}/private/x` })).allowed,
    ).toBe(false);
  });

  it.each([
    [
      'NotPrincipal',
      { Statement: [{ Effect: 'Deny', NotPrincipal: { AWS: 'x' }, Action: '*', Resource: '*' }] },
      /NotPrincipal is not supported/,
    ],
    [
      'a multi-valued operator',
      allowWhen({ 'ForAnyValue:StringEquals': { 'aws:SourceAccount': ACCOUNT } }),
      /multi-valued/,
    ],
    [
      'a numeric operator',
      allowWhen({ NumericLessThan: { 's3:max-keys': '10' } }),
      /operator NumericLessThan is not supported/,
    ],
    [
      'an unresolved CloudFormation value',
      allowWhen({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
      /not a string/,
    ],
    ['a policy without statements', { Version: '2012-10-17' }, /no Statement/],
    [
      'a statement without a principal',
      { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      /needs a Principal/,
    ],
  ])('throws on %s rather than guessing', (_name, policy, message) => {
    expect(() => evaluateBucketPolicy(policy, workMailRead())).toThrow(PolicyEvaluationError);
    expect(() => evaluateBucketPolicy(policy, workMailRead())).toThrow(message);
  });
});
