#!/usr/bin/env node
// Launcher for the `hotline` command: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
const { runCli, UsageError } = await import('../src/cli.ts');
try {
  process.stdout.write(`${runCli(process.argv.slice(2))}\n`);
} catch (err) {
  if (err instanceof UsageError || (err instanceof TypeError && String(err.code ?? '').startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`hotline: ${err.message}\n`);
    process.exit(64);
  }
  throw err;
}
