/** The tool's version, read once from package.json so that it is written in one place only. */
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const toolVersion: string = packageJson.version;
