import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in account holds; tests change it to make each check fail. */
export interface StandInAccount {
  stacks: Record<string, { stackId: string; outputs: Record<string, string> }>;
  /** Function name to the live alias's version. */
  aliases: Record<string, string>;
  /** `function:qualifier` to its resource policy. */
  functionPolicies: Record<string, unknown>;
  /** Function name to its log group. */
  logGroups: Record<string, string>;
  buckets: Record<string, { region: string; policy?: unknown; kmsKeyId?: string }>;
  /** KMS key ARN to its key policy. */
  keyPolicies: Record<string, unknown>;
  organizations: Record<string, { state: string; alias: string; eventLogGroupArn?: string }>;
  /** Log group to its lines (JSON text). */
  logLines: Record<string, string[]>;
  /**
   * Operations answered with an access denial, e.g. `GetPolicy`, `GetBucketPolicy`;
   * `credentials`: CloudFormation refuses the credentials themselves.
   */
  denied: Set<string>;
}

type Reply = { status: number; headers: Record<string, string>; body: string };

const json = (body: unknown, status = 200): Reply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const xml = (body: string, status = 200): Reply => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>${body}`,
});

/** Each protocol's way of saying no, as the services answer. */
const ERRORS = {
  query: (code: string, message: string, status = 400) =>
    xml(
      `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
      status,
    ),
  rest: (code: string, message: string, status: number) => ({
    ...json({ Message: message }, status),
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
  }),
  s3: (code: string, message: string, status: number) =>
    xml(`<Error><Code>${code}</Code><Message>${message}</Message></Error>`, status),
  json: (code: string, message: string) => json({ __type: code, Message: message }, 400),
};

/**
 * A small local stand-in for the read-only AWS APIs `npm run smoke` calls, in each service's
 * own protocol (CloudFormation query XML, Lambda REST JSON, S3 REST XML, WorkMail and CloudWatch
 * Logs JSON 1.1), so that the real SDK clients talk to it over HTTP.
 */
export class AwsStandIn {
  private constructor(
    private readonly server: Server,
    readonly account: StandInAccount,
  ) {}

  static async start(account: StandInAccount): Promise<AwsStandIn> {
    const server = createServer();
    const standIn = new AwsStandIn(server, account);
    server.on('request', (request, response) => void standIn.serve(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const target = request.headers['x-amz-target'];
    const reply =
      typeof target === 'string'
        ? this.jsonOperation(target.split('.').at(-1) ?? '', JSON.parse(body || '{}'))
        : url.pathname.startsWith('/2015-03-31/functions/')
          ? this.lambda(url)
          : request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
            ? this.cloudFormation(new URLSearchParams(body))
            : this.s3(url);
    response.writeHead(reply.status, reply.headers);
    response.end(reply.body);
  }

  private cloudFormation(form: URLSearchParams): Reply {
    if (this.account.denied.has('credentials')) {
      return ERRORS.query(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    }
    if (this.account.denied.has('DescribeStacks')) {
      return ERRORS.query('AccessDenied', 'not authorized to perform DescribeStacks', 403);
    }
    const name = form.get('StackName') ?? '';
    const stack = this.account.stacks[name];
    if (!stack) return ERRORS.query('ValidationError', `Stack with id ${name} does not exist`);
    const outputs = Object.entries(stack.outputs)
      .map(
        ([key, value]) =>
          `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
      )
      .join('');
    return xml(
      `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackId>${stack.stackId}</StackId><StackName>${name}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-12-01T10:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`,
    );
  }

  private lambda(url: URL): Reply {
    const [, , , name = '', resource = '', alias] = url.pathname.split('/').map(decodeURIComponent);
    const operation = {
      aliases: 'GetAlias',
      policy: 'GetPolicy',
      configuration: 'GetFunctionConfiguration',
    }[resource];
    if (!operation) return ERRORS.rest('UnknownOperationException', 'unknown', 404);
    if (this.account.denied.has(operation)) {
      return ERRORS.rest(
        'AccessDeniedException',
        `not authorized to perform lambda:${operation}`,
        403,
      );
    }
    const notFound = ERRORS.rest('ResourceNotFoundException', `Function not found: ${name}`, 404);
    if (operation === 'GetAlias') {
      const version = this.account.aliases[name];
      return version && alias === 'live'
        ? json({
            Name: 'live',
            FunctionVersion: version,
            AliasArn: `arn:aws:lambda:::${name}:live`,
          })
        : notFound;
    }
    if (operation === 'GetPolicy') {
      const policy = this.account.functionPolicies[`${name}:${url.searchParams.get('Qualifier')}`];
      return policy ? json({ Policy: JSON.stringify(policy), RevisionId: 'r1' }) : notFound;
    }
    const logGroup = this.account.logGroups[name];
    return logGroup
      ? json({ FunctionName: name, LoggingConfig: { LogGroup: logGroup } })
      : notFound;
  }

  private s3(url: URL): Reply {
    const bucketName = url.pathname.split('/')[1] ?? '';
    const bucket = this.account.buckets[bucketName];
    const operation = url.searchParams.has('policy')
      ? 'GetBucketPolicy'
      : url.searchParams.has('encryption')
        ? 'GetBucketEncryption'
        : 'GetBucketLocation';
    if (this.account.denied.has(operation)) return ERRORS.s3('AccessDenied', 'Access Denied', 403);
    if (!bucket) return ERRORS.s3('NoSuchBucket', 'The specified bucket does not exist', 404);
    if (operation === 'GetBucketLocation') {
      const constraint = bucket.region === 'us-east-1' ? '' : bucket.region;
      return xml(
        `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${constraint}</LocationConstraint>`,
      );
    }
    if (operation === 'GetBucketEncryption') {
      const byDefault = bucket.kmsKeyId
        ? `<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>${bucket.kmsKeyId}</KMSMasterKeyID>`
        : '<SSEAlgorithm>AES256</SSEAlgorithm>';
      return xml(
        `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>${byDefault}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
      );
    }
    if (bucket.policy === undefined) {
      return ERRORS.s3('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
    }
    return json(bucket.policy);
  }

  private jsonOperation(operation: string, input: Record<string, string>): Reply {
    if (this.account.denied.has(operation)) {
      return ERRORS.json('AccessDeniedException', `not authorized to perform ${operation}`);
    }
    if (operation === 'GetKeyPolicy') {
      const policy = this.account.keyPolicies[input.KeyId ?? ''];
      return policy
        ? json({ Policy: JSON.stringify(policy), PolicyName: 'default' })
        : ERRORS.json('NotFoundException', `Key '${input.KeyId}' does not exist`);
    }
    if (operation === 'FilterLogEvents') {
      const wanted = /\$\.messageId = "([^"]+)"/.exec(input.filterPattern ?? '')?.[1];
      const lines = this.account.logLines[input.logGroupName ?? ''] ?? [];
      const events = lines
        .filter((line) => (JSON.parse(line) as { messageId?: string }).messageId === wanted)
        .map((message, index) => ({ message, timestamp: index, eventId: String(index) }));
      return json({ events });
    }
    const organization = this.account.organizations[input.OrganizationId ?? ''];
    if (!organization) {
      return ERRORS.json('OrganizationNotFoundException', 'The organization is not found');
    }
    if (operation === 'DescribeOrganization') {
      return json({
        OrganizationId: input.OrganizationId,
        Alias: organization.alias,
        State: organization.state,
      });
    }
    return organization.eventLogGroupArn
      ? json({
          RoleArn: 'arn:aws:iam::111122223333:role/events',
          LogGroupArn: organization.eventLogGroupArn,
        })
      : ERRORS.json('ResourceNotFoundException', 'no email monitoring configuration');
  }
}
