import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/feishu/', import.meta.url);

export function feishuFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}
