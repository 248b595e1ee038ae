import { COMMANDS } from './cli/commands.ts';
import { describeError } from './cli/errors.ts';
import { parseInvocation } from './cli/parse.ts';
import { ConfigError, loadConfig } from './config.ts';

/**
 * The CLI entry: `crowdstart <command> [options]` (the commands are in src/cli/commands.ts).
 * Whatever goes wrong ends in one line on stderr and a non-zero exit; LOG_LEVEL=debug adds the stack.
 */
async function main() {
  const invocation = parseInvocation(COMMANDS, process.argv.slice(2));
  if (invocation.kind === 'print') {
    process.stdout.write(`${invocation.text}\n`);
    return;
  }
  const config = loadConfig();
  await invocation.command.run(invocation.values, config);
}

main().catch((e) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
  } else {
    process.stderr.write(`${describeError(e, { databaseUrl: process.env.DATABASE_URL })}\n`);
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '') && e instanceof Error && e.stack) {
      process.stderr.write(`${e.stack}\n`);
    }
  }
  process.exit(1);
});
