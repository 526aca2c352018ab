'use strict';
/**
 * `autopilot`'s first code, in plain CommonJS so that any Node runs it: on a Node too old for the
 * TypeScript sources it says which Node it needs and exits 1, instead of a loader stack trace.
 * `src/cli/main.ts` is a symbolic link to this file (Node resolves the link before it picks a
 * loader), so `node src/cli/main.ts` gets the same check as `bin/autopilot.js`.
 *
 * The floor, 22.18, is the first Node that strips TypeScript types without a flag: 22.13 to 22.17
 * need `--experimental-strip-types` and refuse `.ts` files otherwise (ERR_UNKNOWN_FILE_EXTENSION).
 * package.json `engines` says the same (test/cli/node-floor.test.ts keeps them in step).
 */
const FLOOR_MAJOR = 22;
const FLOOR_MINOR = 18;
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < FLOOR_MAJOR || (major === FLOOR_MAJOR && minor < FLOOR_MINOR)) {
  process.stderr.write(
    `autopilot: fp-autopilot needs Node.js ${FLOOR_MAJOR}.${FLOOR_MINOR} or newer (Node 24 recommended); this is Node ${process.versions.node}.\n` +
      '  It runs its TypeScript sources directly, which Node does without a flag from 22.18 on.\n' +
      '  In the repository, npm start, npm test and npx autopilot use the pinned Node 24 (the `node` devDependency).\n',
  );
  process.exitCode = 1;
} else {
  import('./cli-process.ts');
}
