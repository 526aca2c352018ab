#!/usr/bin/env node
// The CLI is TypeScript run directly by Node 24 (type stripping); this shim only forwards to it.
import '../src/cli/main.ts';
