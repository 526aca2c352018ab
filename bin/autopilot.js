#!/usr/bin/env node
// The CLI is TypeScript run directly by Node (type stripping); this shim only forwards to its
// entry, which first checks that this Node can run it.
import '../src/cli/main.cjs';
