/** The dashboard speaks English and Chinese: both have every text, and every placeholder. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Texts = Record<string, string>;
// Browser modules (plain JS, no types): loaded by URL.
const load = async (name: string) =>
  (
    (await import(new URL(`../../src/dashboard/ui/assets/${name}`, import.meta.url).href)) as {
      default: Texts;
    }
  ).default;
const en = await load('texts-en.js');
const zh = await load('texts-zh.js');

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dashboard texts', () => {
  it('has the same keys and placeholders in both languages', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en))
      expect(placeholders(zh[key] as string), key).toEqual(placeholders(text));
  });

  it('has a text for every key the pages use', () => {
    const dir = new URL('../../src/dashboard/ui/assets/', import.meta.url);
    const sources = [...readdirSync(dir), ...readdirSync(new URL('pages/', dir)).map((f) => `pages/${f}`)]
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(new URL(f, dir), 'utf8'));
    const used = sources.flatMap((text) =>
      [...text.matchAll(/\bt\('([a-zA-Z.]+)'/g)].map((m) => m[1] as string),
    );
    expect(used.length).toBeGreaterThan(50);
    for (const key of used) expect(en, key).toHaveProperty([key]);
  });
});
