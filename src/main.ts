import { COMMANDS } from './cli/commands.ts';
import { describeError } from './cli/errors.ts';
import { parseInvocation } from './cli/parse.ts';
import { ConfigError, loadConfig } from './config.ts';

/**
 * The CLI entry: `crowdstart <command> [options]` (the commands are in src/cli/commands.ts).
 * Whatever goes wrong ends in one line on stderr (one per bad environment variable) and exit status 1;
 * LOG_LEVEL=debug or trace adds the stack.
 */
function fail(e: unknown): never {
  if (e instanceof ConfigError) {
    process.stderr.write(e.problems.map((p) => `invalid configuration: ${p}\n`).join(''));
  } else {
    process.stderr.write(`${describeError(e, { databaseUrl: process.env.DATABASE_URL })}\n`);
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '') && e instanceof Error && e.stack) {
      process.stderr.write(`${e.stack}\n`);
    }
  }
  process.exit(1);
}

async function main() {
  const invocation = parseInvocation(COMMANDS, process.argv.slice(2));
  if (invocation.kind === 'print') {
    process.stdout.write(`${invocation.text}\n`);
    return;
  }
  await invocation.command.run(invocation.values, loadConfig());
}

// A running server that meets an error nothing handled stops the same way.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main().catch(fail);
