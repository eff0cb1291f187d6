import { Command, CommanderError } from 'commander';

/** Exit codes of every `homeostat` subcommand. */
export const ExitCode = {
  /** Done, and everything is as it should be. */
  Ok: 0,
  /** Done, and something the user must fix was found (invalid manifests, a failed run). */
  Failed: 1,
  /** The command line itself is wrong: unknown command or option, missing value, missing path. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where a command writes. Text is written as given: commands end their lines with "\n". */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** What a subcommand gets to work with: its output streams and a way to set the exit code. */
export interface CliContext extends CliIo {
  /** Records the code runCli resolves to. Without a call the code is 0. */
  setExitCode(code: ExitCode): void;
}

/** A subcommand: one file under src/cli that adds itself to the program. */
export interface CliCommand {
  register(program: Command, cli: CliContext): void;
}

/** The process's own streams. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/**
 * Runs `homeostat` with the given arguments (without node and the script path) and the given
 * subcommands, writing through `io`. Resolves to the exit code: what the command set, or
 * ExitCode.Usage when commander rejects the command line (help and --version are 0).
 * Never calls process.exit, so tests can run it in-process.
 */
export async function runCli(argv: readonly string[], commands: readonly CliCommand[], io: CliIo, options: { version?: string } = {}): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = new Command('homeostat')
    .description('Keeps data in the state its users declared, the way Kubernetes keeps Pods running.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showHelpAfterError('(run with --help for usage)');
  if (options.version !== undefined) program.version(options.version);
  const cli: CliContext = { ...io, setExitCode: (c) => void (code = c) };
  for (const command of commands) command.register(program, cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  return code;
}
