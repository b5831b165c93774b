// A call to a server that may never answer (ioredis queues commands while it reconnects,
// forever for BullMQ's connections) must not hold its caller forever.

/** Settles as `work` does, or rejects with `expired()` after `ms`, whichever comes first. */
export async function withDeadline<T>(work: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(expired()), ms); });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
