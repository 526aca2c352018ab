/**
 * Reads a JSON input file for a CLI command. Integers too big for a double and id-like keys
 * become strings (Open API ids exceed 2^53). Every failure is an AP_INPUT_FILE error whose
 * message names the file, and for broken JSON the line and column.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AutopilotError } from '../errors.ts';
import { parseJson } from '../openapi/json.ts';

/** Refuse anything bigger: an event or a work item is a few KiB. */
const MAX_BYTES = 4 * 1024 * 1024;

export function readJsonFile(file: string, cwd: string, what: string): unknown {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new AutopilotError('AP_INPUT_FILE', `cannot read ${what} file ${file}: ${reason}`, { file });
  }
  if (Buffer.byteLength(text) > MAX_BYTES) {
    throw new AutopilotError('AP_INPUT_FILE', `${what} file ${file} is larger than ${MAX_BYTES} bytes`, {
      file,
    });
  }
  try {
    return parseJson(text);
  } catch (error) {
    throw new AutopilotError(
      'AP_INPUT_FILE',
      `${file}:${locate(text, error as Error)}: ${what} is not valid JSON: ${reason(error)}`,
      {
        file,
      },
    );
  }
}

function reason(error: unknown): string {
  return (error as Error).message.replace(/ at position \d+$/, '');
}

/** `line:column` (1-based) of lossless-json's "at position N", or 1:1 when it gives none. */
function locate(text: string, error: Error): string {
  const match = / at position (\d+)/.exec(error.message);
  const offset = match ? Math.min(Number(match[1]), text.length) : 0;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}
