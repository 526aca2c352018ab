import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.ts';

describe('npm run demo', () => {
  it('runs the scripted scenario against the built-in simulator and prints its table', async () => {
    let output = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const code = await runDemo(out);
    expect(output).toContain('| event');
    expect(output).toContain('escalate-p0-bugs');
    // The P0 card in the on-call chat, bob's click taking the bug, the card replaced in place.
    expect(output).toMatch(/page-on-call-p0[^\n]*lark\.message\.create ✓/);
    expect(output).toMatch(
      /card\.action +\| bob +\| take-p0-bug [^\n]*workItem\.update ✓, comment\.create ✓, lark\.message\.update ✓/,
    );
    expect(output).toContain('redelivered webhook answered 200, stored once');
    expect(output).toMatch(/demo OK/);
    // The approval survives a kill -9 of the engine, and its decided card names people, not markers.
    expect(output).toContain('✓ the engine is killed with SIGKILL while the run waits, and started again');
    expect(output).toContain('✓ alice approves on the card: the restarted engine resumes the run once');
    expect(output).toContain('"Approved by alice at …", raised by alice, no buttons left');
    expect(output).toContain('approval OK');
    expect(code).toBe(0);
  }, 240_000);
});
