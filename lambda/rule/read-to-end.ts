import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { RewriteDeclinedError } from '../rewrite';

/**
 * Hands a rewrite's output to its reader (an upload, the audit's sink) and waits for both. A
 * reader that fails stops reading: the output is ended too, or the rewrite would wait forever.
 * When both fail, a declined message is the cause (the reader failed because its input did);
 * otherwise the reader's own error is, because the rewrite then only reports that its output was
 * closed (lib-storage closes it without an error).
 */
export async function readToEnd<T, R>(
  output: Readable,
  rewrite: Promise<R>,
  read: (output: Readable) => Promise<T>,
): Promise<[T, R]> {
  const reading = read(output);
  reading.catch((error: unknown) => output.destroy(error as Error));
  const [uploaded, rewritten] = await Promise.allSettled([reading, rewrite]);
  if (rewritten.status === 'rejected' && rewritten.reason instanceof RewriteDeclinedError) {
    throw rewritten.reason;
  }
  if (uploaded.status === 'rejected') throw uploaded.reason;
  if (rewritten.status === 'rejected') throw rewritten.reason;
  return [uploaded.value, rewritten.value];
}

/** Reads a message and keeps nothing. */
export async function drain(message: Readable): Promise<void> {
  message.resume();
  await finished(message);
}
