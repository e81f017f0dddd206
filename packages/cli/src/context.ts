import {
  type Client,
  type ClientOptions,
  createClient,
  type ResolvedConfig,
  type Value,
} from '@memwire/core';
import { resolveCliConfig } from './config.js';
import type { Output } from './output.js';

/** What every command gets: where to print, the client options the command line stands for, stdin. */
export interface CommandContext {
  output: Output;
  options: ClientOptions<Value>;
  stdin: NodeJS.ReadableStream;
}

/**
 * The resolved configuration, with its credentials registered as secrets so no message can print
 * them. Throws ConfigError (exit 3) on a malformed variable or flag.
 */
export function loadConfig(ctx: CommandContext): ResolvedConfig<Value, Value> {
  const config = resolveCliConfig(ctx.options);
  const credentials = config.credentials;
  if (credentials?.kind === 'password') ctx.output.hideSecret(credentials.password);
  if (credentials?.kind === 'ironcache') ctx.output.hideSecret(credentials.token);
  return config;
}

/** Runs `work` with a client for the configured servers, and closes it whatever happens. */
export async function withClient<T>(ctx: CommandContext, work: (client: Client) => Promise<T>): Promise<T> {
  loadConfig(ctx);
  const client = createClient(ctx.options);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
