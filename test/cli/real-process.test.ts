/**
 * The CLI as a user starts it: a fresh Node process per command. In-process tests share one
 * module graph, loaded in whatever order the tests import it, so they cannot see an import
 * cycle that breaks a command when its module is the first one loaded (autopilot test once
 * died so: "Cannot access 'forEachStep' before initialization").
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commandNames } from '../../src/cli/run-cli.ts';
import '../../src/cli/commands/index.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

async function autopilot(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The `npx autopilot …` lines of the README's quick start, without their comments. */
function quickStartCommands(): string[][] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Quick start');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('npx autopilot '))
    .map((line) => line.replace(/#.*$/, '').trim().split(/\s+/).slice(2));
}

describe('the CLI in a process of its own', () => {
  it.each(quickStartCommands().map((args) => [args.join(' '), args]))(
    'README quick start: autopilot %s exits 0',
    async (_, args) => {
      const { code, stderr } = await autopilot(args as string[]);
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(0);
    },
    60_000,
  );

  it('finds the quick-start commands', () => {
    expect(quickStartCommands().length).toBeGreaterThanOrEqual(2);
  });

  it.each(commandNames())(
    'autopilot %s --help loads its module first and answers',
    async (name) => {
      const { code, stdout, stderr } = await autopilot([name, '--help']);
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(0);
      expect(stdout.length).toBeGreaterThan(0);
    },
    60_000,
  );

  it('autopilot serve on a port in use exits 1 with AP_LISTEN, and does not stay running', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    const data = mkdtempSync(join(tmpdir(), 'ap-listen-'));
    try {
      const { code, stderr } = await autopilot(['serve'], {
        HOST: '127.0.0.1',
        PORT: String(port),
        AUTOPILOT_DATA: data,
      });
      expect(stderr).toContain(
        `autopilot serve: AP_LISTEN: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE); choose another with PORT`,
      );
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(1);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);

  it('autopilot schema into a reader that stops early ends quietly', async () => {
    const child = spawn(process.execPath, [MAIN, 'schema'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Closed before the command writes, so that its first write meets a closed pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);
});
