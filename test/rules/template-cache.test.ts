/** The parse cache holds rule templates, bounded by bytes: big one-off texts never pile up in it. */
import { describe, expect, it } from 'vitest';
import { createParseCache } from '../../src/templates/parse-cache.ts';
import { parseTemplate } from '../../src/templates/parse.ts';

describe('the template parse cache', () => {
  it('keeps no text over its entry limit: 5,000 values of 150 KB leave it empty', () => {
    const cache = createParseCache(parseTemplate);
    const tail = `${'x'.repeat(150 * 1024)}{{rule.id}}`;
    for (let i = 0; i < 5_000; i += 1) expect(cache.parts(`${i}${tail}`)).toHaveLength(2);
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0, evictions: 0 });
  });

  it('stays within its byte budget, dropping the least recently used first', () => {
    const cache = createParseCache(parseTemplate, { maxBytes: 64 * 1024, maxEntryBytes: 8 * 1024 });
    const template = (i: number) => `comment ${i} {{work_item.name}} ${'.'.repeat(1000)}`;
    cache.parts(template(0));
    for (let i = 1; i < 200; i += 1) {
      cache.parts(template(i));
      cache.parts(template(0)); // used all the time: never the oldest
      expect(cache.stats().bytes).toBeLessThanOrEqual(64 * 1024);
    }
    const { entries, evictions } = cache.stats();
    expect(entries).toBeGreaterThan(10);
    expect(entries + evictions).toBe(200);
    const first = cache.parts(template(0));
    expect(cache.parts(template(0))).toBe(first);
    expect(cache.stats().evictions).toBe(evictions);
  });

  it('returns the same parts on a hit, and a refusal is never cached', () => {
    const cache = createParseCache(parseTemplate);
    expect(cache.parts('a {{b}}')).toBe(cache.parts('a {{b}}'));
    expect(() => cache.parts('{{ unclosed')).toThrow(/never closed/);
    expect(cache.stats().entries).toBe(1);
  });
});
