/** What a CLI command may touch: injected so tests run commands in-process and read their output. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A command returns its exit code; it never calls process.exit itself. */
export type CliCommand = (args: string[], io: CliIo) => Promise<number>;
