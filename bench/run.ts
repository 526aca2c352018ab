/**
 * `npm run bench [-- name-filter]`: runs every bench/*.bench.ts whose name contains the filter,
 * each in its own child process on this Node (so one benchmark's heap and JIT state cannot
 * colour the next). Each benchmark prints its table and writes bench/results/<name>.json.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';

const benches = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts') && file.slice(0, -'.bench.ts'.length).includes(filter))
  .sort();

function runOne(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

if (benches.length === 0) {
  process.stderr.write(`no benchmark matches '${filter}' in bench/\n`);
  process.exitCode = 1;
} else {
  const failed: string[] = [];
  for (const file of benches) {
    process.stdout.write(`\n== ${file}\n`);
    if ((await runOne(file)) !== 0) failed.push(file);
  }
  if (failed.length > 0) {
    process.stderr.write(`failed: ${failed.join(', ')}\n`);
    process.exitCode = 1;
  }
}
