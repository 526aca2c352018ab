/** The engine in a process of its own: shared with `npm run demo` (src/demo/engine-process.ts). */
export * from '../../../src/demo/engine-process.ts';
