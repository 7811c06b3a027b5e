import type { MessageHead, MessageRewrite } from '../rewrite';

/** The rewrite's head; when it fails, `done` (which fails the same way) is settled first. */
export async function headOf(rewrite: MessageRewrite): Promise<MessageHead> {
  return rewrite.head.catch(async (error: unknown) => {
    // `done` fails with the same error; wait for it so that nothing is left unhandled.
    await rewrite.done.catch(() => undefined);
    throw error;
  });
}
