import { readFileSync } from 'node:fs';
import type { Command } from './commands.ts';
import type { OptionSpec } from './options.ts';

/** The version in package.json (two levels up from src/cli/ and from dist/cli/ alike). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const flag = (name: string, spec: OptionSpec) => `--${name}${spec.value ? ` ${spec.value}` : ''}`;

/** `stores create --name NAME [--currency CODE]` */
export function synopsis(command: Command): string {
  const parts = Object.entries(command.options).map(([name, spec]) =>
    spec.required ? flag(name, spec) : `[${flag(name, spec)}]`,
  );
  const argument = command.argument ? [`<${command.argument.name}>`] : [];
  return [command.name, ...argument, ...parts].join(' ');
}

export function usage(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'crowdstart <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help [command]'.padEnd(width)}this text, or one command's options`,
    '',
    'Options: -h, --help (after a command: its options), -v, --version',
    'Environment: see README.md (PORT, DATABASE_URL, CROWDSTART_DATA_DIR, REDIS_URL, CROWDSTART_ROOT_TOKEN, …).',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const rows = [
    ...(command.argument ? [[`<${command.argument.name}>`, command.argument.description] as const] : []),
    ...Object.entries(command.options).map(([name, spec]) => [flag(name, spec), spec.description] as const),
    ['-h, --help', 'show this help'] as const,
  ];
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `crowdstart ${synopsis(command)}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
  ].join('\n');
}
