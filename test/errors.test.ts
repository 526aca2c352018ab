import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AutopilotError, ERROR_CATALOGUE, isAutopilotError } from '../src/errors.ts';

describe('error catalogue', () => {
  it('gives every error a code, a status default and an owner', () => {
    const error = new AutopilotError('AP_PAYLOAD_TOO_LARGE', 'body over 256 KiB');
    expect(error.code).toBe('AP_PAYLOAD_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(isAutopilotError(error, 'AP_PAYLOAD_TOO_LARGE')).toBe(true);
    expect(isAutopilotError(error, 'AP_BAD_REQUEST')).toBe(false);
    expect(new AutopilotError('AP_RULE_YAML', 'x').status).toBe(500);
  });

  it('uses the AP_ prefix for every code', () => {
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(code).toMatch(/^AP_[A-Z0-9_]+$/);
  });

  it('holds every AP_ code the sources name', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const named = new Set<string>();
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(join(src, file), 'utf8');
      for (const [, code] of text.matchAll(/'(AP_[A-Z0-9_]+)'/g)) named.add(code as string);
    }
    expect([...named].filter((code) => !(code in ERROR_CATALOGUE))).toEqual([]);
  });
});
