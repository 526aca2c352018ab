import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { startSimulator } from '../../src/simulator/index.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function spawnSim(args: string[]) {
  const child = spawn(process.execPath, [MAIN, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, firstLine, exited };
}

describe('autopilot sim', () => {
  it('--port 0 --json prints one JSON object, serves, and stops cleanly on SIGTERM', async () => {
    const { child, firstLine, exited } = spawnSim(['--port', '0', '--json']);
    const summary = JSON.parse(await firstLine) as Record<string, string>;
    expect(Object.keys(summary)).toEqual([
      'baseUrl',
      'pluginId',
      'pluginSecret',
      'userKey',
      'projectKey',
      'webhookToken',
    ]);
    expect(summary.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await fetch(`${summary.baseUrl}/open_api/authen/plugin_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ plugin_id: summary.pluginId, plugin_secret: summary.pluginSecret }),
    });
    const { data } = (await token.json()) as { data: { token: string } };
    const types = await fetch(`${summary.baseUrl}/open_api/${summary.projectKey}/work_item/all-types`, {
      headers: { 'x-plugin-token': data.token, 'x-user-key': summary.userKey ?? '' },
    });
    expect(((await types.json()) as { err_code: number }).err_code).toBe(0);
    process.kill(child.pid as number, 'SIGTERM');
    expect(await exited).toBe(0);
  });

  it('prints readable credentials without --json and applies --chaos', async () => {
    const { child, firstLine, exited } = spawnSim(['--chaos', '50006=1']);
    const line = await firstLine;
    expect(line).toMatch(/^Feishu Project simulator listening on http:\/\/127\.0\.0\.1:\d+$/);
    const baseUrl = line.split(' ').at(-1) ?? '';
    const answer = await fetch(`${baseUrl}/open_api/authen/plugin_token`, { method: 'POST' });
    expect(answer.status).toBe(500);
    process.kill(child.pid as number, 'SIGINT');
    expect(await exited).toBe(0);
  });

  it('rejects bad options with a clear error and exit code 2 (usage)', async () => {
    const stderr: string[] = [];
    const io = {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => stderr.push(s) > 0 } as unknown as NodeJS.WritableStream,
      env: {},
      cwd: process.cwd(),
    };
    expect(await runCli(['sim', '--port', 'x'], io)).toBe(2);
    expect(stderr.join('')).toContain("--port must be 0..65535, got 'x'");
    stderr.length = 0;
    expect(await runCli(['sim', '--chaos', 'nope=1'], io)).toBe(2);
    expect(stderr.join('')).toContain("unknown chaos key 'nope'");
    stderr.length = 0;
    expect(await runCli(['sim', '--bogus'], io)).toBe(2);
    expect(stderr.join('')).toContain('AP_CLI_USAGE');
  });
});

describe('seed files and snapshots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-seed-'));

  it('extends the demo tenant from a YAML seed file', async () => {
    const file = join(dir, 'seed.yaml');
    writeFileSync(
      file,
      [
        'users:',
        '  - { user_key: "7499", username: dora, name_cn: dora, name_en: dora, email: d@x, out_id: on_d, status: activated }',
        '',
      ].join('\n'),
    );
    const sim = await startSimulator({ seedFile: file });
    expect(sim.state.users.map((u) => u.username)).toContain('dora');
    expect(sim.state.work_items.length).toBeGreaterThan(0);
    await sim.close();
  });

  it('names the problem in a bad seed file', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'users: 3\n');
    await expect(startSimulator({ seedFile: file })).rejects.toThrow(/users must be a list/);
    writeFileSync(file, 'colour: blue\n');
    await expect(startSimulator({ seedFile: file })).rejects.toThrow(/unknown key colour/);
  });

  it('saves the tenant to the snapshot file and loads it on the next start', async () => {
    const file = join(dir, 'state.json');
    const first = await startSimulator({ snapshotFile: file });
    first.state.users[1]!.username = 'alice-renamed';
    first.saveSnapshot();
    await first.close();
    const second = await startSimulator({ snapshotFile: file });
    expect(second.state.users[1]?.username).toBe('alice-renamed');
    await second.close();
  });
});
