/**
 * An S3 bucket-policy evaluator for the subset of IAM policy language that bucket policies for
 * WorkMail use: Allow and Deny statements, Principal (`*`, `AWS`, `Service`), Action and
 * NotAction, Resource and NotResource with `*` and `?` wildcards, and the string, ARN, Bool and
 * Null condition operators (with `IfExists`). Anything outside the subset (NotPrincipal,
 * multi-valued `ForAnyValue:`/`ForAllValues:` operators, numeric, date and IP operators) is an
 * error, never a silent pass: a policy the evaluator cannot read must not look correct.
 *
 * No npm evaluator fits: `@cloud-copilot/iam-simulate`, the maintained one, is AGPL-3.0, which
 * this MIT-0 template cannot depend on.
 */

/** A request, as the bucket policy sees it. */
export interface PolicyRequest {
  /** The caller: an AWS service principal (`workmail.us-east-1.amazonaws.com`) or an IAM ARN. */
  principal: { service: string } | { arn: string };
  /** For example `s3:GetObject`. */
  action: string;
  /** For example `arn:aws:s3:::bucket/key`. */
  resource: string;
  /** Global condition keys of the request, e.g. `aws:SourceArn`; absent keys are left out. */
  context: Record<string, string>;
}

export type PolicyDecision =
  | { allowed: true; statement: string }
  | { allowed: false; reason: string };

/** The policy uses something outside the subset this evaluator understands, or is malformed. */
export class PolicyEvaluationError extends Error {
  override name = 'PolicyEvaluationError';
}

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

/**
 * Evaluates a bucket policy for one request, as S3 does for a caller outside the bucket owner's
 * IAM (an AWS service): an explicit Deny wins, else an Allow grants, else access is denied.
 *
 * @throws PolicyEvaluationError when the policy uses what the subset does not cover
 */
export function evaluateBucketPolicy(policy: unknown, request: PolicyRequest): PolicyDecision {
  const statements = readStatements(policy);
  let allowedBy: string | undefined;
  for (const [index, statement] of statements.entries()) {
    const name = statement.Sid ? `statement ${statement.Sid}` : `statement #${index + 1}`;
    const miss = mismatch(statement, request);
    if (miss) continue;
    if (statement.Effect === 'Deny') {
      return { allowed: false, reason: `${name} denies ${request.action} on ${request.resource}` };
    }
    allowedBy ??= name;
  }
  if (allowedBy) return { allowed: true, statement: allowedBy };
  return {
    allowed: false,
    reason: `no statement allows ${describePrincipal(request)} ${request.action} on ${request.resource}${closestMiss(statements, request)}`,
  };
}

function readStatements(policy: unknown): Statement[] {
  const document = policy as { Statement?: unknown } | null;
  if (typeof document !== 'object' || document === null || !('Statement' in document)) {
    throw new PolicyEvaluationError('the bucket policy has no Statement');
  }
  const list = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return list.map((statement: unknown, index) => {
    const where = `statement #${index + 1}`;
    if (typeof statement !== 'object' || statement === null) {
      throw new PolicyEvaluationError(`${where} is not an object`);
    }
    for (const key of Object.keys(statement)) {
      if (!STATEMENT_KEYS.has(key)) {
        throw new PolicyEvaluationError(`${where}: ${key} is not supported by this evaluator`);
      }
    }
    const typed = statement as Statement;
    if (typed.Effect !== 'Allow' && typed.Effect !== 'Deny') {
      throw new PolicyEvaluationError(`${where}: Effect must be Allow or Deny`);
    }
    if (typed.Principal === undefined) {
      throw new PolicyEvaluationError(`${where}: a bucket policy statement needs a Principal`);
    }
    if ((typed.Action === undefined) === (typed.NotAction === undefined)) {
      throw new PolicyEvaluationError(`${where}: needs exactly one of Action and NotAction`);
    }
    if ((typed.Resource === undefined) === (typed.NotResource === undefined)) {
      throw new PolicyEvaluationError(`${where}: needs exactly one of Resource and NotResource`);
    }
    return typed;
  });
}

/** Why `statement` does not apply to `request`, or undefined when it applies. */
function mismatch(statement: Statement, request: PolicyRequest): string | undefined {
  if (!principalMatches(statement.Principal, request)) return 'its Principal';
  const actionListed = (patterns: unknown) =>
    strings(patterns, 'Action').some((pattern) => wildcard(pattern, 'i').test(request.action));
  if (statement.Action !== undefined && !actionListed(statement.Action)) return 'its Action';
  if (statement.NotAction !== undefined && actionListed(statement.NotAction)) return 'NotAction';
  const resourceListed = (patterns: unknown) =>
    strings(patterns, 'Resource').some((pattern) => wildcard(pattern).test(request.resource));
  if (statement.Resource !== undefined && !resourceListed(statement.Resource)) {
    return 'its Resource';
  }
  if (statement.NotResource !== undefined && resourceListed(statement.NotResource)) {
    return 'NotResource';
  }
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, strings(expected, `Condition ${operator}`), request)) {
        return `${operator} ${key}`;
      }
    }
  }
  return undefined;
}

/** For the denial message: what kept the statement nearest to granting it from applying. */
function closestMiss(statements: Statement[], request: PolicyRequest): string {
  const allows = statements.filter(
    (s) => s.Effect === 'Allow' && principalMatches(s.Principal, request),
  );
  const first = allows[0];
  if (!first) return ` (no Allow statement names ${describePrincipal(request)})`;
  return ` (${first.Sid ?? 'the Allow statement for it'} does not match: ${mismatch(first, request)})`;
}

function describePrincipal(request: PolicyRequest): string {
  return 'service' in request.principal ? request.principal.service : request.principal.arn;
}

function principalMatches(principal: unknown, request: PolicyRequest): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) {
    throw new PolicyEvaluationError(`Principal ${JSON.stringify(principal)} is not supported`);
  }
  const entries = principal as Record<string, unknown>;
  // "AWS": "*" means everyone, AWS services included.
  if (strings(entries.AWS ?? [], 'Principal AWS').includes('*')) return true;
  if ('service' in request.principal) {
    return strings(entries.Service ?? [], 'Principal Service').includes(request.principal.service);
  }
  const arn = request.principal.arn;
  const account = arn.split(':')[4];
  return strings(entries.AWS ?? [], 'Principal AWS').some(
    (named) => named === arn || named === account || named === `arn:aws:iam::${account}:root`,
  );
}

/**
 * One condition key: true when any of the policy's values matches the request's value. Negated
 * operators hold when the key is absent; `IfExists` makes any operator hold when it is absent.
 */
function conditionHolds(
  operator: string,
  key: string,
  expected: string[],
  request: PolicyRequest,
): boolean {
  if (/^For(Any|All)Value:/.test(operator)) {
    throw new PolicyEvaluationError(`${operator}: multi-valued conditions are not supported`);
  }
  const actual = contextValue(request.context, key);
  if (operator === 'Null') {
    return expected.some((value) => (value === 'true') === (actual === undefined));
  }
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const test = COMPARISONS[base.replace(/Not(?=Equals|Like)/, '')];
  if (!test) throw new PolicyEvaluationError(`condition operator ${operator} is not supported`);
  const negated = /Not(Equals|Like)/.test(base);
  if (actual === undefined) return ifExists || negated;
  const matched = expected.some((value) => test(actual, value));
  return negated ? !matched : matched;
}

const COMPARISONS: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (actual, expected) => actual === expected,
  StringEqualsIgnoreCase: (actual, expected) => actual.toLowerCase() === expected.toLowerCase(),
  StringLike: (actual, expected) => wildcard(expected).test(actual),
  ArnEquals: (actual, expected) => arnMatches(actual, expected, false),
  ArnLike: (actual, expected) => arnMatches(actual, expected, true),
  Bool: (actual, expected) => actual.toLowerCase() === expected.toLowerCase(),
};

/** Condition keys are case-insensitive. */
function contextValue(context: Record<string, string>, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** ARN operators compare the six colon-separated parts one by one; wildcards stay inside a part. */
function arnMatches(actual: string, pattern: string, wildcards: boolean): boolean {
  const parts = actual.split(':');
  const patternParts = pattern.split(':');
  if (parts.length < 6 || patternParts.length < 6) return false;
  const head = (list: string[]) => [...list.slice(0, 5), list.slice(5).join(':')];
  const want = head(patternParts);
  return head(parts).every((part, index) => {
    const expected = want[index] ?? '';
    return wildcards ? wildcard(expected).test(part) : part === expected;
  });
}

/** `*` any run of characters, `?` exactly one; everything else literal. */
function wildcard(pattern: string, flags = ''): RegExp {
  const source = pattern
    .split('')
    .map((char) =>
      char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, `s${flags}`);
}

function strings(value: unknown, element: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'boolean') return String(item);
    throw new PolicyEvaluationError(
      `${element} holds ${JSON.stringify(item)}, which is not a string (an unresolved CloudFormation expression?)`,
    );
  });
}
