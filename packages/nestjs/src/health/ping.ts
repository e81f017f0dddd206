import { performance } from 'node:perf_hooks';
import { createClient, type ResolvedConfig, serverOptionsFrom } from '@memwire/core';

/** One server's answer to a health ping. */
export interface MemwireServerHealth {
  status: 'up' | 'down';
  /** Milliseconds for the connect, the login and one round trip (or until the failure). */
  responseTime: number;
  /** The server's `version`, when it answered one (not through twemproxy, which does not forward it). */
  version?: string | undefined;
  /** Why it is down: the memwire error code (`ERR_MEMWIRE_TIMEOUT`, `ERR_MEMWIRE_AUTH`, …) and message, never a credential. */
  error?: { code: string; message: string } | undefined;
}

/** twemproxy closes the connection on `version`; a `get` of a key nobody writes is forwarded. */
const PROXY_PING_KEY = 'memwire:health';

/**
 * Pings one server on a connection of its own, opened for the ping and closed after it: it proves
 * a new connection and login work now, which the application's pooled ones cannot tell, and
 * leaves nothing open between checks. Never rejects.
 */
export async function pingServer(
  address: string,
  config: ResolvedConfig<unknown, unknown>,
  timeout: number,
): Promise<MemwireServerHealth> {
  // The application client's settings for the server, with the ping's timeout bounding the whole
  // call: the core counts `commandTimeout` from the call, connect included.
  const client = createClient(
    serverOptionsFrom(config, address, {
      connectTimeout: Math.min(config.connectTimeout, timeout),
      commandTimeout: timeout,
    }),
  );
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
  try {
    if (config.proxy === 'twemproxy') {
      await client.get(PROXY_PING_KEY);
      return { status: 'up', responseTime: elapsed() };
    }
    const version = (await client.version()).get(address);
    return { status: 'up', responseTime: elapsed(), version };
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return {
      status: 'down',
      responseTime: elapsed(),
      error: {
        code: typeof code === 'string' ? code : 'ERR_UNKNOWN',
        message: typeof message === 'string' ? message : String(error),
      },
    };
  } finally {
    await client.close();
  }
}
