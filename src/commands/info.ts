/** `digits info [model]`: what a model file holds, for people (stderr) or as one JSON object (stdout). */
import { statSync } from 'node:fs';
import { loadModel } from '../model/read.js';
import { formatModelInfo, modelInfo } from '../ui/info.js';
import type { CommandContext } from './context.js';
import { writeToStdout } from './output.js';

export interface InfoOptions {
  json: boolean;
}

export async function runInfo(path: string, options: InfoOptions, context: CommandContext): Promise<number> {
  const model = loadModel(path);
  const info = modelInfo(model, path, statSync(path).size);
  if (options.json) await writeToStdout(context.stdout, JSON.stringify(info) + '\n');
  else context.stderr.write(formatModelInfo(info, context.chalk).join('\n') + '\n');
  return 0;
}
