import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { type BenchOptions, benchCommand } from './commands/bench.js';
import { type DashboardCommandOptions, dashboardCommand } from './commands/dashboard.js';
import { doctorCommand } from './commands/doctor.js';
import { flushCommand } from './commands/flush.js';
import { arithmeticCommand, deleteCommand, getCommand, setCommand, touchCommand } from './commands/keys.js';
import { statsCommand } from './commands/stats.js';
import { clientOptions, type GlobalOptions } from './config.js';
import type { CommandContext } from './context.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { Output, type Streams } from './output.js';
import { INPUT_TYPES } from './values.js';

const HELP_CODES = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

/** The process's own streams and environment. */
export function processStreams(): Streams & { stdin: NodeJS.ReadableStream } {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // Opened only by the one command that reads it (`set KEY -`).
    get stdin() {
      return process.stdin;
    },
  };
}

/**
 * Runs `memwire` with `args` (without `node` and the script) and resolves to the exit status; nothing
 * calls `process.exit`, so output is flushed and sockets close before the process ends.
 *
 * @example
 * process.exitCode = await main(['stats', '--json']);
 */
export async function main(
  args: readonly string[],
  streams: Streams & { stdin: NodeJS.ReadableStream } = processStreams(),
): Promise<number> {
  let status: number = ExitCode.OK;
  let output = new Output(streams, { json: args.includes('--json'), color: !args.includes('--no-color') });
  const program = buildProgram(
    streams,
    (globals) => {
      output = new Output(streams, globals);
      return output;
    },
    (code) => {
      status = code;
    },
  );
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, --version, and help shown for a missing command end parsing with an "error" of their own.
      if (HELP_CODES.has(error.code)) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      const status = output.error(new UsageError(error.message.replace(/^error: /, '')));
      if (!output.json) output.note('(memwire --help lists the commands and options)');
      return status;
    }
    return output.error(error);
  }
  return status;
}

function buildProgram(
  streams: Streams & { stdin: NodeJS.ReadableStream },
  makeOutput: (globals: GlobalOptions) => Output,
  setStatus: (code: number) => void,
): Command {
  const program = new Command('memwire')
    .description(
      'Check, watch and use memcached, configured like the memwire client (MEMCACHE_* / MEMCACHIER_*)',
    )
    .version(packageJson.version, '-V, --version')
    .option(
      '-s, --servers <list>',
      'servers as host:port[:weight],… or a memcache:// URL (instead of MEMCACHE_SERVERS)',
    )
    .option('--url <url>', 'memcache://user:pass@host:port,… (memcaches:// for TLS)')
    .option('--no-env', 'ignore MEMCACHE_*, MEMCACHIER_* and IRON_* variables')
    .option('-t, --timeout <ms>', 'connect and command timeout in ms (default 2000 / 1000)')
    .option('--json', 'machine-readable output: one JSON document on stdout, no colours')
    .option('--no-color', 'no colours (also off with NO_COLOR, and when stdout is not a terminal)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
      // main() prints commander's errors itself, in the --json shape when asked.
      outputError: () => {},
    });

  const wire =
    <A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...commanderArgs: unknown[]) => {
      const command = commanderArgs[commanderArgs.length - 1] as Command;
      const globals = command.optsWithGlobals<GlobalOptions>();
      const output = makeOutput(globals);
      // doctor reports clear-text credentials among its findings; elsewhere the core's warning is shown.
      const stopCapturing = captureClientWarnings(output, command.name() === 'doctor');
      try {
        const ctx: CommandContext = {
          output,
          options: clientOptions(globals),
          get stdin() {
            return streams.stdin;
          },
        };
        setStatus(await handler(ctx, ...(commanderArgs.slice(0, -1) as A)));
      } finally {
        stopCapturing();
      }
    };

  program
    .command('doctor')
    .description(
      'check the configuration and every server: login, round trip, a set/get/delete probe, hit ratio, evictions, memory',
    )
    .option('--strict', 'exit 1 on warnings too')
    .action(wire((ctx, options: { strict?: boolean }) => doctorCommand(ctx, options)));

  program
    .command('stats')
    .description(
      'a table of every server (hit ratio, items, evictions, connections, memory), or one stats group',
    )
    .argument('[group]', 'a stats group: slabs, items, settings, conns, sizes…')
    .option('-w, --watch', 'refresh in place until Ctrl-C')
    .option('-i, --interval <seconds>', 'seconds between refreshes with --watch', '2')
    .action(
      wire((ctx, group: string | undefined, options: { watch?: boolean; interval: string }) =>
        statsCommand(ctx, group, options),
      ),
    );

  program
    .command('dashboard')
    .description(
      'a live web page: hit ratio, gets and sets per second, memory, evictions, slab classes, per server',
    )
    .option('-p, --port <port>', 'port to listen on (0: any free one)', '7211')
    .option('--host <host>', 'address to listen on (it has no authentication: keep it local)', '127.0.0.1')
    .option('-i, --interval <seconds>', 'seconds between samples', '2')
    .action(wire((ctx, options: DashboardCommandOptions) => dashboardCommand(ctx, options)));

  program
    .command('get')
    .description('print the value of each key (exit 4 on a miss)')
    .argument('<key...>', 'one or more keys')
    .action(wire((ctx, keys: string[]) => getCommand(ctx, keys)));

  program
    .command('set')
    .description('store a value (VALUE, or stdin when it is - or left out)')
    .argument('<key>')
    .argument('[value]')
    .option('--ttl <seconds>', 'expire after this many seconds (0 = never)')
    .addOption(new Option('--type <type>', 'how to read the value').choices(INPUT_TYPES).default('string'))
    .action(
      wire((ctx, key: string, value: string | undefined, options: { ttl?: string; type: string }) =>
        setCommand(ctx, key, value, options),
      ),
    );

  program
    .command('delete')
    .description('delete keys (exit 4 when one did not exist)')
    .argument('<key...>')
    .action(wire((ctx, keys: string[]) => deleteCommand(ctx, keys)));

  program
    .command('touch')
    .description('set a new TTL in seconds on a key (exit 4 when it does not exist)')
    .argument('<key>')
    .argument('<ttl>')
    .action(wire((ctx, key: string, ttl: string) => touchCommand(ctx, key, ttl)));

  for (const verb of ['incr', 'decr'] as const) {
    program
      .command(verb)
      .description(
        `${verb === 'incr' ? 'add DELTA to' : 'subtract DELTA from'} a decimal value and print it (exit 4 when the key does not exist)`,
      )
      .argument('<key>')
      .argument('[delta]', 'a whole number', '1')
      .action(wire((ctx, key: string, delta: string) => arithmeticCommand(ctx, verb, key, delta)));
  }

  program
    .command('flush')
    .description('invalidate every item on every server (flush_all); refuses without --yes')
    .option('-y, --yes', 'really flush')
    .option('--delay <seconds>', 'flush after this many seconds')
    .action(wire((ctx, options: { yes?: boolean; delay?: string }) => flushCommand(ctx, options)));

  program
    .command('bench')
    .description('a short load test: ops/s and p50/p99 latency of gets and sets')
    .option('-n, --ops <count>', 'operations to run', '50000')
    .option('-d, --duration <seconds>', 'stop after this long even if not all operations ran', '10')
    .option('-c, --concurrency <count>', 'operations in flight at once', '32')
    .option('--size <bytes>', 'value size', '100')
    .option('--keys <count>', 'distinct keys (written first, deleted at the end)', '1000')
    .option('--writes <percent>', 'share of operations that are sets', '10')
    .action(wire((ctx, options: BenchOptions) => benchCommand(ctx, options)));

  return program;
}

/**
 * The core warns once per process, through `process.emitWarning`, about credentials sent in clear
 * text. Node would print it as "(node:1234) Warning: …"; the CLI shows it as its own warning instead
 * (`doctor` reports it in its findings, so it is dropped there). Other warnings keep Node's handling.
 */
function captureClientWarnings(output: Output, drop: boolean): () => void {
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === 'MEMWIRE_CLEARTEXT_CREDENTIALS') {
      if (!drop) output.warn(warning.message.replace(/^memwire: /, ''));
      return;
    }
    for (const listener of previous) listener(warning);
  };
  process.on('warning', onWarning);
  return () => {
    process.off('warning', onWarning);
    for (const listener of previous) process.on('warning', listener);
  };
}
