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

/** S3's answer to a conditional write whose key is taken (HTTP 412). */
function isPreconditionFailed(error: unknown): boolean {
  const failed = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return failed?.name === 'PreconditionFailed' || failed?.$metadata?.httpStatusCode === 412;
}

/**
 * Streams messages to a bucket with lib-storage (multipart above 5 MB, aborted on error); S3's
 * failures come out as `ServiceError`s, a failing body's error as it is. Writes are conditional
 * (`If-None-Match: *`): the key is the invocation's own, so an object already there was stored by
 * an earlier attempt of the same invocation, and a retry must not replace it while WorkMail may be
 * reading it. That object is then the one to put.
 */
export function s3MessageStore(client: S3Client, bucket: string): MessageStore {
  return {
    async put(key, body, signal) {
      // An abort listener added after the budget ran out would never be called.
      signal?.throwIfAborted();
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'message/rfc822',
          IfNoneMatch: '*',
        },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort();
      signal?.addEventListener('abort', abort, { once: true });
      try {
        // A taken key (412) is not a failure: the earlier attempt's object is the one to put.
        const result = await portCall(() =>
          upload.done().catch((error: unknown) => {
            if (isPreconditionFailed(error)) return undefined;
            throw error;
          }),
        );
        if (!result) return { bucket, key, alreadyStored: true };
        // Unversioned buckets may answer the version id "null", which names no version.
        const { VersionId: versionId } = result;
        return { bucket, key, ...(versionId && versionId !== 'null' ? { versionId } : {}) };
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },
  };
}
