import { UsageError, type CliIo, type Command } from './cli-types.ts';
import { modelInitCommand } from './model-init.ts';

const COMMANDS: Record<string, Record<string, { run: Command; summary: string }>> = {
  model: {
    init: {
      run: modelInitCommand,
      summary:
        'model init --config <config.json> --tokenizer <dir> --seed <n> --out <dir>  ' +
        'write a seeded random BERT in the Hugging Face layout',
    },
  },
};

const defaultIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Runs `lumina <group> <command> [options]` and returns the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [group, name, ...rest] = argv;
  if (group === undefined || group === '--help' || group === 'help') {
    io.stdout(usage());
    return 0;
  }
  const command = COMMANDS[group]?.[name ?? ''];
  if (!command) {
    io.stderr(`Unknown command "${[group, name].filter(Boolean).join(' ')}".\n${usage()}`);
    return 2;
  }
  try {
    await command.run(rest, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`lumina ${group} ${name}: ${error.message}\nUsage: lumina ${command.summary}`);
      return 2;
    }
    io.stderr(`lumina ${group} ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((group) =>
    Object.values(group).map((command) => `  lumina ${command.summary}`),
  );
  return ['Usage:', ...lines].join('\n');
}
