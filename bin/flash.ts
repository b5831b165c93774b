#!/usr/bin/env node
// The `flash` command line.
import { program } from '../cli/program.ts';

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A failed command says why in one line; the stack is for LOG_LEVEL=debug.
  const e = err as Error;
  console.error(`flash: ${e.message}`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(e.stack);
  process.exit(1);
}
