#!/usr/bin/env node
// Entry point: the program is compiled to dist/ by `npm ci` (through the prepare script).
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error;
  process.stderr.write('error: digits is not built yet: run "npm ci" (or "npm run build") in its folder first.\n');
  process.exit(1);
}
await cli.main();
