#!/usr/bin/env node
// The `flash` command line.
import { program } from '../cli/program.ts';

await program.parseAsync(process.argv);
