/**
 * Parsed templates by source text, bounded by bytes as well as entries: a rule set has a few
 * thousand short templates, but a cache bounded by entries alone kept 5,000 parses of 150 KB
 * event values (the heap grew ~4.8 MB per event until the process died). Oldest-used entries
 * go first; a template too big to be worth keeping is parsed every time (parsing is linear).
 */
import type { TemplatePart } from './parse.ts';

export interface ParseCacheOptions {
  /** Estimated bytes the cache may hold. @defaultValue 4 MiB */
  maxBytes?: number;
  /** Templates whose estimate is larger are not kept. @defaultValue 64 KiB */
  maxEntryBytes?: number;
}

export interface ParseCacheStats {
  entries: number;
  /** Estimated bytes held (source text and parts, UTF-16). */
  bytes: number;
  /** Entries dropped to stay within the budget, since start. */
  evictions: number;
}

export interface ParseCache {
  parts(text: string): readonly TemplatePart[];
  stats(): ParseCacheStats;
}

/** The source text once as the key, and about once more in the parts' strings, two bytes a unit. */
const estimate = (text: string) => 4 * text.length + 64;

export function createParseCache(
  parse: (text: string) => TemplatePart[],
  options: ParseCacheOptions = {},
): ParseCache {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const maxEntryBytes = options.maxEntryBytes ?? 64 * 1024;
  const entries = new Map<string, readonly TemplatePart[]>();
  let bytes = 0;
  let evictions = 0;
  return {
    parts(text) {
      const cached = entries.get(text);
      if (cached !== undefined) {
        // Refresh: Map order is the eviction order, oldest-used first.
        entries.delete(text);
        entries.set(text, cached);
        return cached;
      }
      const parts = parse(text);
      const size = estimate(text);
      if (size > maxEntryBytes) return parts;
      entries.set(text, parts);
      bytes += size;
      for (const key of entries.keys()) {
        if (bytes <= maxBytes) break;
        entries.delete(key);
        bytes -= estimate(key);
        evictions += 1;
      }
      return parts;
    },
    stats: () => ({ entries: entries.size, bytes, evictions }),
  };
}
