// The `workers` role: BullMQ processors, the only code that talks to money backends.
import type { Role } from '../core/role.ts';

export const workersRole: Role = async () => {
  return {
    describe: ['workers: no processors registered yet'],
    stop: async () => {},
  };
};
