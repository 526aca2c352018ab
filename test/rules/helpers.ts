import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { formatDiagnostic, parseRuleText } from '../../src/rules/load-rules.ts';

/** `line:column: message` of every diagnostic the text gets as `rules/<id>.yaml`. */
export function problems(text: string, file = 'rules/r.yaml'): string[] {
  return parseRuleText(file, text).diagnostics.map((d) => formatDiagnostic(d).slice(file.length + 1));
}

/** A rule file's text from lines, for readable tests. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'autopilot-rules-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function captureStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}
