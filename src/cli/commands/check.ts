/** `autopilot check [paths...] [--json]`: validate rule files; exit 0 when all are valid, else 1. */
import { formatDiagnostic, loadRules } from '../../rules/load-rules.ts';
import { parseCliArgs } from '../parse-cli-args.ts';
import type { CliCommand } from '../io.ts';

const USAGE = 'usage: autopilot check [paths...] [--json]   (default path: rules/)';

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = readArgs(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const paths = positionals.length > 0 ? positionals : ['rules'];
  const { rules, diagnostics } = await loadRules(paths, { cwd: io.cwd });
  if (rules.length === 0 && diagnostics.length === 0) {
    diagnostics.push({
      file: paths.join(', '),
      line: 1,
      column: 1,
      code: 'AP_RULE_FILE',
      message: 'no rule files (*.yaml, *.yml) found',
    });
  }
  const ok = diagnostics.length === 0;
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ok, rules: rules.map((r) => r.id), diagnostics }, null, 2)}\n`);
  } else if (ok) {
    const disabled = rules.filter((r) => !r.enabled).length;
    const note = disabled > 0 ? ` (${disabled} disabled)` : '';
    io.stdout.write(`ok: ${rules.length} rule${rules.length === 1 ? '' : 's'} valid${note}\n`);
  } else {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    const files = new Set(diagnostics.map((d) => d.file)).size;
    io.stderr.write(
      `${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}\n`,
    );
  }
  return ok ? 0 : 1;
};

function readArgs(args: string[]) {
  return parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
}
