import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWhole } from '../config.js';
import { type CommandContext, loadConfig } from '../context.js';
import { dashboardHandler } from '../dashboard/handler.js';
import { ExitCode } from '../exit-codes.js';

export interface DashboardCommandOptions {
  port: string;
  host: string;
  /** Seconds between samples. */
  interval: string;
}

/**
 * `memwire dashboard`: the live page on a local HTTP server (127.0.0.1 unless `--host` says otherwise:
 * it has no authentication of its own) until Ctrl-C or SIGTERM.
 */
export async function dashboardCommand(
  ctx: CommandContext,
  options: DashboardCommandOptions,
): Promise<number> {
  const port = parseWhole(options.port, '--port', 0);
  const interval = parseWhole(options.interval, '--interval', 1);
  loadConfig(ctx); // a bad flag or variable fails here, with its name, before anything listens
  const handler = dashboardHandler({ ...ctx.options, interval: interval * 1000 });
  const server = createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}/`;
    ctx.output.result({ url }, () => `memwire dashboard: ${url} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return ExitCode.OK;
  } finally {
    server.closeAllConnections();
    await Promise.all([new Promise((resolve) => server.close(resolve)), handler.close()]);
  }
}
