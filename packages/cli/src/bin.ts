#!/usr/bin/env node
import { run } from './program.js';

// exitCode, not exit(): a piped stdout still flushes everything the command printed.
process.exitCode = await run(process.argv);
