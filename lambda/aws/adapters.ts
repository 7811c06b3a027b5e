import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  GetRawMessageContentCommand,
  PutRawMessageContentCommand,
  type WorkMailMessageFlowClient,
} from '@aws-sdk/client-workmailmessageflow';
import { Upload } from '@aws-sdk/lib-storage';
import { ServiceError } from './port-errors';
import type { MessageFlow, MessageStore, StoredObject } from './ports';
import { portCall } from './sdk-errors';

/** S3's smallest multipart part; memory per upload stays near one part. */
const PART_SIZE = 5 * 1024 * 1024;

/** The Message Flow API through the SDK client; its failures come out as `ServiceError`s. */
export function sdkMessageFlow(client: WorkMailMessageFlowClient): MessageFlow {
  return {
    async getRawMessage(messageId, signal) {
      const output = await portCall(() =>
        client.send(new GetRawMessageContentCommand({ messageId }), { abortSignal: signal }),
      );
      if (!output.messageContent) {
        throw new ServiceError(
          'message-body-missing',
          'MissingMessageBody',
          'GetRawMessageContent returned no body',
        );
      }
      // Node fails this stream (ECONNRESET, "aborted") if it ends before its Content-Length.
      const body = output.messageContent as Readable;
      const length = Number((body as Partial<IncomingMessage>).headers?.['content-length']);
      return { body, ...(Number.isSafeInteger(length) ? { size: length } : {}) };
    },
    async putRawMessage(messageId, location: StoredObject, signal) {
      const s3Reference = {
        bucket: location.bucket,
        key: location.key,
        ...(location.versionId ? { objectVersion: location.versionId } : {}),
      };
      await portCall(() =>
        client.send(new PutRawMessageContentCommand({ messageId, content: { s3Reference } }), {
          abortSignal: signal,
        }),
      );
    },
  };
}

/**
 * Streams messages to a bucket with lib-storage (multipart above 5 MB, aborted on error); S3's
 * failures come out as `ServiceError`s, a failing body's error as it is.
 */
export function s3MessageStore(client: S3Client, bucket: string): MessageStore {
  return {
    async put(key, body, signal) {
      // An abort listener added after the budget ran out would never be called.
      signal?.throwIfAborted();
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: 'message/rfc822' },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort();
      signal?.addEventListener('abort', abort, { once: true });
      try {
        const result = await portCall(() => upload.done());
        return { bucket, key, ...(result.VersionId ? { versionId: result.VersionId } : {}) };
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },
  };
}
