import type { KeyvMemwire } from '@memwire/keyv';

/**
 * The memcached key under which `@memwire/keyv` keeps a namespace's `key` (`<ns>:<generation>:<key>`),
 * for the commands the adapter does not offer (`ttl`, `getLease`), through the adapter's own
 * `withDataKeys`: its generation check rides beside the command, and a `clear()` anywhere makes the
 * command run again under the new generation, so no answer comes from a cleared entry.
 */
export class DataKeys {
  constructor(private readonly adapter: KeyvMemwire) {}

  /** `op` on the memcached key of `key`, under the namespace's current generation. */
  run<T>(key: string, op: (wire: string) => Promise<T>): Promise<T> {
    return this.adapter.withDataKeys((dataKey) => op(dataKey(key)), {
      // A server known to be classic refuses the meta command before anything is sent: the counter
      // check beside it would be the only command sent, on every call.
      check: (dataKey) => this.adapter.client.protocolOf(dataKey(key)) !== 'classic',
    });
  }
}
