// A role is one of the service's parts that `flash start` can run (alone or all together).
import type { Context } from './context.ts';

export interface RunningRole {
  /** Lines printed once the role is ready ("relay: ws://…"). */
  describe: string[];
  /** Stops accepting work, drains what is in flight, closes. */
  stop(): Promise<void>;
}

export type Role = (ctx: Context) => Promise<RunningRole>;
