import type { Readable } from 'node:stream';

/** Where a rewritten message was stored, as the Message Flow API's `S3Reference` needs it. */
export interface StoredObject {
  bucket: string;
  key: string;
  /** Set when the bucket is versioned, so the Put names exactly the bytes this run wrote. */
  versionId?: string;
  /**
   * An earlier attempt of this invocation had already stored the object (the conditional write
   * found the key taken): this run wrote nothing, and the object is that attempt's.
   */
  alreadyStored?: true;
}

/** A message's raw MIME as it streams in. */
export interface RawMessage {
  body: Readable;
  /** Bytes, from the response's Content-Length. */
  size?: number;
}

/**
 * The WorkMail Message Flow API, as the rule uses it. Like every port, an implementation fails
 * with the ports' own errors (`ServiceError`, see `fromSdkError`): the rule classifies by their
 * codes and treats any other error (but the stream's own I/O errors) as unexpected, delivering the
 * message unchanged rather than retrying.
 */
export interface MessageFlow {
  /** Streams the raw MIME of a message in transit, with its size when the service announces it. */
  getRawMessage(messageId: string, signal?: AbortSignal): Promise<RawMessage>;
  /** Replaces the message's content with the object at `location`. */
  putRawMessage(messageId: string, location: StoredObject, signal?: AbortSignal): Promise<void>;
}

/** The bucket that WorkMail reads rewritten messages from. */
export interface MessageStore {
  /**
   * Streams `body` to `key` unless an object is already there (then `alreadyStored`); resolves
   * once it is stored.
   */
  put(key: string, body: Readable, signal?: AbortSignal): Promise<StoredObject>;
}

/** Structured logger; Powertools' Logger fits this shape. */
export interface Log {
  debug(message: string, attributes: Record<string, unknown>): void;
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}
