import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ContentRules, putContentProblem } from './put-content-rules';
import {
  type FlowDirection,
  type ObjectReference,
  unverifiedKeys,
  type WorkMailAccess,
  workMailReadDenial,
} from './workmail-access';

/** The errors the Message Flow API models, with the HTTP status the service sends. */
export const MODELLED_ERRORS = {
  ResourceNotFoundException: 404,
  MessageRejected: 400,
  MessageFrozen: 400,
  InvalidContentLocation: 400,
} as const;
export type ModelledError = keyof typeof MODELLED_ERRORS;

/** A failure the emulator answers one request with, instead of serving it. */
export type Fault =
  | { kind: 'error'; error: ModelledError; message?: string }
  /** Any status and error type, e.g. 503 ServiceUnavailable or 400 ThrottlingException. */
  | { kind: 'status'; status: number; errorType: string; message?: string }
  /** Get only: announce the full length, send part of the body, then close the connection. */
  | { kind: 'truncate' }
  /** Close the connection without answering. */
  | { kind: 'reset' }
  /** Get only: send the body in pieces of `bytes`, one every `everyMs`. */
  | { kind: 'slow'; bytes: number; everyMs: number };

export const THROTTLING: Fault = {
  kind: 'status',
  status: 400,
  errorType: 'ThrottlingException',
  message: 'Rate exceeded',
};
export const SERVICE_UNAVAILABLE: Fault = {
  kind: 'status',
  status: 503,
  errorType: 'ServiceUnavailable',
  message: 'Service unavailable',
};

export type Operation = 'get' | 'put';

/** A successful PutRawMessageContent: what was referenced and the bytes read from S3. */
export interface RecordedUpdate {
  messageId: string;
  s3Reference: { bucket: string; key: string; objectVersion?: string };
  content: Buffer;
}

// The service's patterns (Smithy model), checked as the service would before doing any work.
// Smithy patterns are not anchored: the message id's `[a-z0-9\-]*` admits any text of 1-120.
const MESSAGE_ID = /^[\s\S]{1,120}$/;
const BUCKET = /^[a-z0-9][a-z0-9-]{2,62}$/;
const KEY = /^[a-zA-Z0-9\-/]{1,1024}$/;
const CANNOT_READ = 'WorkMail could not read the email content from the S3 location provided.';
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.workmailmessageflow/';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A local stand-in for the WorkMail Message Flow API: `GET /messages/{id}` and
 * `POST /messages/{id}` with the service's status codes, `x-amzn-ErrorType` headers and JSON
 * error bodies. A Put reads the referenced object back from S3, as WorkMail does, and later Gets
 * return the new content. Faults can be queued per operation to test every failure path.
 */
export class MessageFlowEmulator {
  /** Every successful Put, in order. */
  readonly updates: RecordedUpdate[] = [];
  /** Every new content refused (by the content rules, or a simulated refusal), with its text. */
  readonly refusals: { messageId: string; reason: string }[] = [];
  /** When each slow (dripped) Get body was complete, in milliseconds since the epoch. */
  readonly dripsEndedAt: number[] = [];
  /** Why each Put that WorkMail's read of S3 would fail was refused, in order. */
  readonly accessDenials: string[] = [];
  /** What the enforced access cannot verify (an SSE-KMS key whose policy is unknown). */
  readonly accessNotes: string[] = [];
  private readonly messages = new Map<string, Buffer>();
  private readonly directions = new Map<string, FlowDirection>();
  private access?: WorkMailAccess;
  private readonly faults: Record<Operation, Fault[]> = { get: [], put: [] };

  private constructor(
    private readonly server: Server,
    private readonly s3: S3Client,
    private readonly keepOriginals: boolean,
    private readonly contentRules: ContentRules,
  ) {}

  /**
   * Starts the emulator on 127.0.0.1 on a free port; `s3` reads the objects that Puts name.
   * `keepOriginals` (benchmarks only) keeps serving the original after a Put, unlike the service,
   * so that repeated runs do the same work. `contentRules`: `assumed` (the default) also applies
   * the assumed header, multipart and 8-bit rules; `documented` only the documented line rules.
   */
  static async start(
    s3: S3Client,
    options: { keepOriginals?: boolean; port?: number; contentRules?: ContentRules } = {},
  ): Promise<MessageFlowEmulator> {
    const server = createServer();
    const emulator = new MessageFlowEmulator(
      server,
      s3,
      options.keepOriginals ?? false,
      options.contentRules ?? 'assumed',
    );
    server.on('request', (request, response) => void emulator.serve(request, response));
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    return emulator;
  }

  get endpoint(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Puts a message in transit, as if WorkMail had just received (or was sending) it. */
  addMessage(messageId: string, content: Buffer, direction: FlowDirection = 'INBOUND'): void {
    this.messages.set(messageId, content);
    this.directions.set(messageId, direction);
  }

  /**
   * From now on, a Put's object is read only if `access` (the bucket policy, for this
   * organization) lets WorkMail read it, as the service does; otherwise the Put fails with
   * InvalidContentLocation. Without it, the emulator reads S3 with full access.
   */
  enforceAccess(access: WorkMailAccess): void {
    this.access = access;
    this.accessNotes.push(...unverifiedKeys(access));
  }

  /** Takes a message out of transit: later requests for it answer ResourceNotFoundException. */
  removeMessage(messageId: string): void {
    this.messages.delete(messageId);
  }

  /** The message's current content (after any Put), or undefined. */
  message(messageId: string): Buffer | undefined {
    return this.messages.get(messageId);
  }

  /** Answers the next `times` requests of `operation` with `fault`. */
  failNext(operation: Operation, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults[operation].push(fault);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const operation = this.route(request);
      const fault = this.faults[operation.name].shift();
      if (fault) return this.applyFault(fault, operation, response);
      if (operation.name === 'get') return this.get(operation.messageId, response);
      await this.put(operation.messageId, await readBody(request), response);
    } catch (error) {
      const failure =
        error instanceof HttpError ? error : new HttpError(500, 'InternalFailure', String(error));
      this.sendError(response, failure);
    }
  }

  private route(request: IncomingMessage): { name: Operation; messageId: string } {
    const authorization = request.headers.authorization ?? '';
    if (
      !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/workmailmessageflow\/aws4_request/.test(
        authorization,
      )
    ) {
      throw new HttpError(
        403,
        'MissingAuthenticationTokenException',
        'Missing Authentication Token',
      );
    }
    const match = /^\/messages\/([^/?]+)$/.exec(request.url ?? '');
    const name = request.method === 'GET' ? 'get' : request.method === 'POST' ? 'put' : undefined;
    if (!match?.[1] || !name)
      throw new HttpError(404, 'UnknownOperationException', 'Unknown operation');
    const messageId = decodeURIComponent(match[1]);
    if (!MESSAGE_ID.test(messageId)) {
      throw new HttpError(400, 'ValidationException', 'messageId does not satisfy the constraint');
    }
    return { name, messageId };
  }

  private get(messageId: string, response: ServerResponse): void {
    const content = this.requireMessage(messageId);
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': content.length,
      'x-amzn-requestid': randomUUID(),
    });
    response.end(content);
  }

  private async put(messageId: string, body: Buffer, response: ServerResponse): Promise<void> {
    this.requireMessage(messageId);
    const reference = this.parseReference(body);
    const content = await this.readObject(messageId, reference);
    const problem = await putContentProblem(content, this.contentRules);
    if (problem) {
      this.refusals.push({ messageId, reason: problem });
      throw new HttpError(400, 'MessageRejected', problem);
    }
    if (!this.keepOriginals) this.messages.set(messageId, content);
    this.updates.push({
      messageId,
      s3Reference: reference,
      content: this.keepOriginals ? Buffer.alloc(0) : content,
    });
    response.writeHead(200, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
    });
    response.end('{}');
  }

  private requireMessage(messageId: string): Buffer {
    const content = this.messages.get(messageId);
    if (!content) {
      throw new HttpError(
        404,
        'ResourceNotFoundException',
        'The requested email message is not found.',
      );
    }
    return content;
  }

  private parseReference(body: Buffer): RecordedUpdate['s3Reference'] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'SerializationException', 'request body is not JSON');
    }
    const reference = (parsed as { content?: { s3Reference?: Record<string, unknown> } })?.content
      ?.s3Reference;
    const { bucket, key, objectVersion } = reference ?? {};
    if (typeof bucket !== 'string' || !BUCKET.test(bucket)) {
      throw new HttpError(400, 'ValidationException', 'content.s3Reference.bucket is invalid');
    }
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new HttpError(400, 'ValidationException', 'content.s3Reference.key is invalid');
    }
    if (objectVersion !== undefined && typeof objectVersion !== 'string') {
      throw new HttpError(
        400,
        'ValidationException',
        'content.s3Reference.objectVersion is invalid',
      );
    }
    return { bucket, key, ...(objectVersion ? { objectVersion } : {}) };
  }

  private async readObject(messageId: string, reference: ObjectReference): Promise<Buffer> {
    const denial =
      this.access &&
      workMailReadDenial(
        this.access,
        messageId,
        this.directions.get(messageId) ?? 'INBOUND',
        reference,
      );
    if (denial) {
      this.accessDenials.push(denial);
      // The service says no more than this; the emulator's reason helps the one reading the log.
      throw new HttpError(400, 'InvalidContentLocation', `${CANNOT_READ} (emulator: ${denial})`);
    }
    try {
      const object = await this.s3.send(
        new GetObjectCommand({
          Bucket: reference.bucket,
          Key: reference.key,
          VersionId: reference.objectVersion,
        }),
      );
      return Buffer.from(
        await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray(),
      );
    } catch {
      throw new HttpError(400, 'InvalidContentLocation', CANNOT_READ);
    }
  }

  private applyFault(
    fault: Fault,
    operation: { name: Operation; messageId: string },
    response: ServerResponse,
  ): void {
    switch (fault.kind) {
      case 'error': {
        const message = fault.message ?? `${fault.error} (injected)`;
        if (fault.error === 'MessageRejected') {
          this.refusals.push({ messageId: operation.messageId, reason: message });
        }
        this.sendError(response, new HttpError(MODELLED_ERRORS[fault.error], fault.error, message));
        return;
      }
      case 'status':
        this.sendError(
          response,
          new HttpError(fault.status, fault.errorType, fault.message ?? fault.errorType),
        );
        return;
      case 'truncate': {
        const content = this.requireMessage(operation.messageId);
        response.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': content.length,
        });
        response.write(content.subarray(0, Math.floor(content.length / 2)), () =>
          response.socket?.destroy(),
        );
        return;
      }
      case 'slow': {
        const content = this.requireMessage(operation.messageId);
        response.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': content.length,
        });
        let sent = 0;
        const drip = setInterval(() => {
          if (response.destroyed) return clearInterval(drip);
          response.write(content.subarray(sent, sent + fault.bytes));
          sent += fault.bytes;
          if (sent >= content.length) {
            clearInterval(drip);
            this.dripsEndedAt.push(Date.now());
            response.end();
          }
        }, fault.everyMs);
        return;
      }
      case 'reset':
        response.socket?.destroy();
        return;
    }
  }

  private sendError(response: ServerResponse, error: HttpError): void {
    const body = JSON.stringify({ message: error.message });
    response.writeHead(error.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-amzn-errortype': `${error.errorType}${ERROR_TYPE_SUFFIX}`,
      'x-amzn-requestid': randomUUID(),
    });
    response.end(body);
  }
}
