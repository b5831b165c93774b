// A command's service context: opened with a quiet logger, always closed after the command.
import type { Config } from '../core/config.ts';
import { closeContext, createContext, type Context } from '../core/context.ts';
import { createLogger } from '../core/log.ts';

export async function withContext(config: Config, run: (ctx: Context) => Promise<void>): Promise<void> {
  const ctx = await createContext(config, { log: createLogger({ level: 'warn' }) });
  try {
    await run(ctx);
  } finally {
    await closeContext(ctx);
  }
}
