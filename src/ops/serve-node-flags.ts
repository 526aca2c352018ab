/**
 * The Node flags the engine's long-running process (`serve`) is started with: by the Dockerfile's
 * ENTRYPOINT, `npm start`, and the reliability suite's and demo's engine process
 * (test/ops/serve-node-flags.test.ts keeps the three in step).
 *
 * `--max-semi-space-size=16`: V8 grows the young generation whenever the bytes surviving
 * scavenges since its last growth exceed its size, so under any steady load it doubles, in steps
 * minutes apart, up to Node 24's default of 64 MiB per semi-space (128 MiB of new space), and
 * shrinks again only when allocation slows. In the 50 events/s soak that was the whole resident
 * growth: new space 32 → 64 → 128 MiB moved RSS 190 → 247 MiB while the old generation, the heap
 * after GC, the malloc arenas and the file-backed pages stayed flat. 16 MiB per semi-space (what
 * Node used before V8 raised the default) keeps new space at 32 MiB.
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
