/**
 * The `inproc` command line: dispatches to a command, prints help, and turns errors into
 * one clear line and an exit code — 2 for bad arguments (with a pointer to the help),
 * 1 for an `InprocError` (its stable code and message) or any other failure.
 * @module
 */
import { readFileSync } from 'node:fs';
import { style, type Io, type Style } from './io.js';
import { COMMANDS, HELP, UsageError, type CommandName } from './usage.js';

type Handler = (args: readonly string[], io: Io, s: Style) => Promise<void>;

// Each command's module (and what it imports: inproc, the server, image and audio readers) is
// imported when that command runs, so `inproc --help` and a mistyped command load none of it.
const HANDLERS: Record<CommandName, () => Promise<Handler>> = {
  info: async () => (await import('./commands/info.js')).infoCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
  types: async () => (await import('./commands/types.js')).typesCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const isCommand = (name: string | undefined): name is CommandName => (COMMANDS as readonly string[]).includes(name ?? '');

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const out = style(io.stdout, io.env);
  const err = style(io.stderr, io.env);
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '-h' || first === '--help') {
      io.stdout.write(`${HELP.main}\n`);
      return first === undefined ? 2 : 0;
    }
    if (first === '-v' || first === '--version') {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    if (first === 'help') {
      const topic = rest[0];
      if (topic !== undefined && !isCommand(topic)) throw new UsageError(`no command "${topic}"; commands: ${COMMANDS.join(', ')}`);
      io.stdout.write(`${HELP[topic ?? 'main']}\n`);
      return 0;
    }
    if (!isCommand(first)) throw new UsageError(`no command "${first}"; commands: ${COMMANDS.join(', ')}`);
    if (rest.includes('-h') || rest.includes('--help')) {
      io.stdout.write(`${HELP[first]}\n`);
      return 0;
    }
    // Every command may load models (serve and export through a repository): `inproc` registers
    // the backends (light descriptors; a backend's code loads when it is first a candidate).
    const [handler] = await Promise.all([HANDLERS[first](), import('inproc')]);
    await handler(rest, io, out);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${err.red('inproc: error:')} ${error.message}\n${err.dim(`see: inproc ${error.command === undefined ? '--help' : `${error.command} --help`}`)}\n`);
      return 2;
    }
    // Loaded already when a command threw it; imported here so that help and usage errors never load it.
    const { InprocError } = await import('inproc');
    if (InprocError.is(error)) {
      io.stderr.write(`${err.red(`inproc: error [${error.code}]`)} ${error.message}\n`);
      if (io.env['INPROC_DEBUG'] !== undefined && error.cause !== undefined) io.stderr.write(`${err.dim(`cause: ${error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : JSON.stringify(error.cause)}`)}\n`);
      return 1;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    io.stderr.write(`${err.red('inproc: unexpected error:')} ${e.message}\n${io.env['INPROC_DEBUG'] === undefined ? err.dim('set INPROC_DEBUG=1 for the stack trace') : (e.stack ?? '')}\n`);
    return 1;
  }
}
