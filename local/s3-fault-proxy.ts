import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Which S3 requests a fault applies to: method and a piece of the query, e.g. `partNumber=2`. */
export interface S3RequestMatch {
  method?: string;
  query?: string;
}

/** An S3 error answer (as S3 writes it: XML), or a delay before the request goes through. */
export type S3Fault = { status: number; code: string } | { delayMs: number };

/**
 * A proxy in front of the local S3 server that fails or delays chosen requests, for fault tests
 * of the upload: lib-storage's single PutObject, or CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload and AbortMultipartUpload. It records every request it saw.
 */
export class S3FaultProxy {
  readonly requests: { method: string; url: string; at: number }[] = [];
  private readonly faults: { match: S3RequestMatch; fault: S3Fault }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  static async start(targetEndpoint: string): Promise<S3FaultProxy> {
    const server = createServer();
    const proxy = new S3FaultProxy(server, new URL(targetEndpoint));
    server.on('request', (req, res) => proxy.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Applies `fault` to the next `times` requests that match. */
  failNext(match: S3RequestMatch, fault: S3Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ match, fault });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ): void {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    this.requests.push({ method, url, at: Date.now() });
    const index = this.faults.findIndex(
      ({ match }) =>
        (!match.method || match.method === method) && (!match.query || url.includes(match.query)),
    );
    const fault = index >= 0 ? this.faults.splice(index, 1)[0]?.fault : undefined;
    if (!fault && method === 'DELETE' && url.includes('uploadId=')) {
      // AbortMultipartUpload: s3rver lacks it (MethodNotAllowed, which would hide the failure
      // that caused the abort); S3 answers 204 and drops the parts.
      req.resume();
      res.writeHead(204);
      res.end();
      return;
    }
    if (fault && 'status' in fault) {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.code} (injected)</Message></Error>`;
      res.writeHead(fault.status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const send = () => {
      const upstream = request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method,
          path: url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (fault) setTimeout(send, fault.delayMs);
    else send();
  }
}
