/**
 * `digits serve`: a local web page to draw digits on and watch the model read them. The command loads the
 * model, starts the server from src/serve/, prints where it listens on stderr, and stops on Ctrl-C.
 */
import { debugEnabled } from '../debug.js';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadModel } from '../model/read.js';
import { DigitsError, ExitCode, failure, inputError, isSystemError } from '../errors.js';
import { Classifier } from '../serve/classifier.js';
import { chooseBackend } from './threads.js';
import { loadPageAssets } from '../serve/page.js';
import { createDigitServer, modelSummary } from '../serve/server.js';
import { count, percent } from '../ui/format.js';
import type { CommandContext } from './context.js';
import { displayPath } from './paths.js';

export interface ServeOptions {
  model: string;
  port: number;
  host: string;
}

function listenError(error: unknown, host: string, port: number): DigitsError {
  if (!isSystemError(error)) return failure(`could not start the server: ${String(error)}`);
  switch (error.code) {
    case 'EADDRINUSE':
      return failure(`port ${port} on ${host} is already in use`, ['Pass --port with another number, or --port 0 for any free port.']);
    case 'EACCES':
      return failure(`no permission to listen on port ${port} of ${host}`, ['Ports below 1024 need privileges; try --port 8080.']);
    case 'EADDRNOTAVAIL':
      return inputError(`--host ${host}: not an address of this machine`, ['Use --host 127.0.0.1 (the default) or an address this machine has.']);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return inputError(`--host ${host}: no such host name`, ['Use --host 127.0.0.1 (the default) or an address this machine has.']);
    default:
      return failure(`could not listen on ${host}:${port}: ${error.message}`);
  }
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((done, fail) => {
    const onError = (error: unknown): void => fail(listenError(error, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      done(server.address() as AddressInfo);
    });
  });
}

/** The address people open: a wildcard host is reached through loopback; IPv6 addresses go in brackets. */
export function pageUrl(host: string, address: AddressInfo): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const shown = wildcard ? (address.family === 'IPv6' ? '[::1]' : '127.0.0.1') : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${address.port}/`;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** Resolves with the signal that asked to stop, checking the CLI's stop flag a few times a second. */
function stopRequested(context: CommandContext): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const timer = setInterval(() => {
      if (context.stop.requested) {
        clearInterval(timer);
        done(context.stop.requested);
      }
    }, 100);
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    // Keep-alive connections from the browser would otherwise hold the server open.
    server.closeAllConnections();
  });
}

export async function runServe(options: ServeOptions, context: CommandContext): Promise<number> {
  const { chalk } = context;
  const modelPath = resolve(context.cwd, options.model);
  const shownPath = displayPath(modelPath, context.cwd);
  const model = loadModel(options.model);
  const summary = modelSummary(model, shownPath);
  const server = createDigitServer({
    // The kernels the other commands take by default: the same answers either way.
    classifier: new Classifier(model, chooseBackend('auto', false)),
    summary,
    assets: loadPageAssets(),
    onInternalError: (error) => {
      // A stack trace only with DEBUG=digits, as everywhere else.
      const message = error instanceof Error ? ((debugEnabled ? error.stack : undefined) ?? error.message) : String(error);
      context.stderr.write(`${chalk.red('error:')} while answering a request: ${message}\n`);
    },
  });
  const address = await listen(server, options.host, options.port);
  const url = pageUrl(options.host, address);
  const accuracy = summary.heldOutAccuracy === null ? '' : `, ${percent(summary.heldOutAccuracy, 1)} on ${count(summary.heldOutRows)} held-out rows`;
  context.stderr.write(
    `Serving ${shownPath} (${summary.inputSize}-${summary.hiddenSize}-${summary.classCount}${accuracy}) at ${chalk.bold(url)}\n` +
      chalk.dim('Open it in a browser and draw a digit. Press Ctrl-C to stop.') +
      '\n',
  );
  if (!isLoopback(options.host)) {
    context.stderr.write(chalk.yellow(`Listening on ${options.host}: other machines on the network can open the page too.\n`));
  }
  // The first Ctrl-C now asks the server to close cleanly (before this, it quits at once).
  context.stop.serving = true;
  context.stop.graceful = true;
  const signal = await stopRequested(context);
  await close(server);
  context.stderr.write('Server stopped.\n');
  return signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}
