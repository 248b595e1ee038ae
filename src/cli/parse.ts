import { parseArgs } from 'node:util';
import type { Command, Values } from './commands.ts';
import { CliError } from './errors.ts';
import { commandHelp, usage, version } from './usage.ts';

export type Invocation = { kind: 'print'; text: string } | { kind: 'run'; command: Command; values: Values };

/** The command named by the first words of `argv`, and the words left after it. */
function findCommand(commands: Command[], argv: string[]): { command: Command; rest: string[] } {
  const words = argv.slice(0, 2);
  const command = commands
    .filter((c) => c.name.split(' ').every((w, i) => words[i] === w))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (command) return { command, rest: argv.slice(command.name.split(' ').length) };
  const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `)).map((c) => `"${c.name}"`);
  if (group.length > 0) {
    throw new CliError(`unknown command "${words.join(' ')}"; did you mean ${group.join(' or ')}?`);
  }
  throw new CliError(`unknown command "${argv[0]}"; run \`crowdstart help\` for the list`);
}

/** `--products -5` reads as the value -5 (node's parser would call it ambiguous). */
function joinNegativeValues(args: string[], command: Command): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('--') && a.slice(2) in command.options && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function parseError(e: unknown, command: Command): CliError {
  const code = (e as { code?: string }).code ?? '';
  const quoted = /'([^']+)'/.exec((e as Error).message)?.[1] ?? '';
  const seeHelp = `see \`crowdstart ${command.name} --help\``;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new CliError(`unknown option ${quoted} for "${command.name}"; ${seeHelp}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new CliError(`${quoted.split(' ')[0]} needs a value; ${seeHelp}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new CliError(`unexpected argument "${quoted}" for "${command.name}"; ${seeHelp}`);
    default:
      return new CliError(`${(e as Error).message.split('\n')[0]}; ${seeHelp}`);
  }
}

/** Reads the command line into what to print or which command to run with which checked values. */
export function parseInvocation(commands: Command[], argv: string[]): Invocation {
  const [first, ...others] = argv;
  if (first === undefined) return { kind: 'print', text: usage(commands) };
  if (first === '--version' || first === '-v' || first === 'version')
    return { kind: 'print', text: version() };
  if (first === 'help' || first === '--help' || first === '-h') {
    if (others.length === 0) return { kind: 'print', text: usage(commands) };
    return { kind: 'print', text: commandHelp(findCommand(commands, others).command) };
  }
  const { command, rest } = findCommand(commands, argv);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: joinNegativeValues(rest, command),
      options: {
        ...Object.fromEntries(
          Object.keys(command.options).map((name) => [name, { type: 'string' as const }]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: command.argument !== undefined,
    }));
  } catch (e) {
    throw parseError(e, command);
  }
  if (values.help) return { kind: 'print', text: commandHelp(command) };
  const checked: Values = {};
  if (command.argument) {
    const name = `<${command.argument.name}>`;
    if (positionals.length !== 1) {
      throw new CliError(
        positionals.length === 0
          ? `${name} is required; see \`crowdstart ${command.name} --help\``
          : `unexpected argument "${positionals[1]}" for "${command.name}"; see \`crowdstart ${command.name} --help\``,
      );
    }
    checked[command.argument.name] = positionals[0];
  }
  for (const [name, spec] of Object.entries(command.options)) {
    const raw = values[name];
    const flag = `--${name}`;
    if (typeof raw !== 'string') {
      if (spec.required) throw new CliError(`${flag} is required; see \`crowdstart ${command.name} --help\``);
      continue;
    }
    checked[name] = spec.parse ? spec.parse(raw, flag) : raw;
  }
  return { kind: 'run', command, values: checked };
}
