#!/usr/bin/env node
// Entry point: the program is compiled to dist/ by `npm ci` (through the prepare script).
import { main } from '../dist/cli.js';

await main();
