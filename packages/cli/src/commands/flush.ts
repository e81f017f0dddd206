import { formatAddress } from '@memwire/core';
import { parseWhole } from '../config.js';
import { type CommandContext, loadConfig, withClient } from '../context.js';
import { ExitCode, UsageError } from '../exit-codes.js';

export interface FlushOptions {
  yes?: boolean | undefined;
  delay?: string | undefined;
}

/**
 * `memwire flush --yes [--delay S]`: `flush_all` on every server. Without `--yes` it refuses, naming
 * the servers it would have emptied, and sends nothing: one mistyped shell line must not empty a cache.
 */
export async function flushCommand(ctx: CommandContext, options: FlushOptions): Promise<number> {
  const servers = loadConfig(ctx).servers.map(formatAddress);
  const delay = options.delay === undefined ? undefined : parseWhole(options.delay, '--delay');
  if (options.yes !== true) {
    throw new UsageError(
      `flush invalidates every item on ${servers.join(', ')}; nothing was sent. Run "memwire flush --yes" to do it`,
    );
  }
  await withClient(ctx, (client) => client.flush(delay));
  ctx.output.result({ flushed: servers, delaySeconds: delay ?? 0 }, () =>
    delay === undefined
      ? `flushed ${servers.join(', ')}`
      : `${servers.join(', ')} will drop every item in ${delay} s`,
  );
  return ExitCode.OK;
}
