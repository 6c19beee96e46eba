/** Option values of `digits serve`, light enough for the CLI to load before it knows which command runs. */
import { InvalidArgumentError } from 'commander';

export const defaultPort = 8080;
/** Loopback only unless asked: the page is for the person at this machine. */
export const defaultHost = '127.0.0.1';

/** `--port`: 0..65535; 0 asks the system for any free port. */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n > 65535) {
    throw new InvalidArgumentError('expected a port number 0..65535 (0 for any free port).');
  }
  return n;
}
