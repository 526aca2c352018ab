/**
 * The command table. Each command module exports `command: CliCommand`.
 * Keep one line per command, alphabetical.
 */
import { registerCommand } from '../run-cli.ts';

registerCommand('backtest', {
  summary:
    'what rules would have done: backtest --rules <dir> [--baseline <dir>] [--since 7d] [--from api] [--json] [--max-new-writes N] [--fail-on-diff]',
  load: async () => (await import('./backtest.ts')).command,
});
registerCommand('check', {
  summary:
    'validate rule files: check [paths...] [--json] [--live | --offline] [--cache file] [--secrets] (--live: against the tenant)',
  load: async () => (await import('./check.ts')).command,
});
registerCommand('dlq', {
  summary: 'dead-letter queue: dlq list | retry <run-id> | drop <run-id> [--data dir]',
  load: async () => (await import('./dlq.ts')).command,
});
registerCommand('events', {
  summary:
    'recent events, newest first: events [--since 24h] [--type t] [--source s] [--limit n] [--json] [--data dir]',
  load: async () => (await import('./events.ts')).command,
});
registerCommand('run', {
  summary:
    'run a rule with manual: true on one work item, through the engine: run <rule-id> --work-item <project>/<type>/<id> [--url URL] [--json]',
  load: async () => (await import('./run.ts')).command,
});
registerCommand('runs', {
  summary: 'list runs: runs [--state s] [--rule id] [--json] [--data dir]',
  load: async () => (await import('./runs.ts')).command,
});
registerCommand('schema', {
  summary:
    "the rule schema for editors; with the tenant's names: schema [paths...] --live | --offline [--space key] [--cache file] [--out file]",
  load: async () => (await import('./schema.ts')).command,
});
registerCommand('serve', {
  summary: 'run the engine: serve [--config file.yaml] (built-in simulator without credentials)',
  load: async () => (await import('./serve.ts')).command,
});
registerCommand('shadow', {
  summary:
    'what a shadow-mode rule would have done, from the audit: shadow <rule-id> [--since 7d] [--json] [--data dir]',
  load: async () => (await import('./shadow.ts')).command,
});
registerCommand('sim', {
  summary: 'run the Feishu Project Open API simulator (demo tenant)',
  load: async () => (await import('./sim.ts')).command,
});
registerCommand('test', {
  summary: 'dry-run rules on one event: test --event <file> [--rules dir] [--work-item file] [--json]',
  load: async () => (await import('./test.ts')).command,
});
registerCommand('trace', {
  summary: 'the story of one event: trace <event-id> [--json] [--data dir]',
  load: async () => (await import('./trace.ts')).command,
});
registerCommand('version', {
  summary: 'print the version',
  load: async () => (await import('./version.ts')).command,
});
