import { GenerationCounter, SingleFlight } from '@memwire/core';
import { type MemwireClient, namespaceKeys } from '@memwire/keyv';

/**
 * The memcached key under which `@memwire/keyv` keeps a namespace's `key` (`<ns>:<generation>:<key>`),
 * for the commands the adapter does not offer (`ttl`, `getLease`). It follows the adapter's rule:
 * the generation last seen is used while the counter is read in the same round trip, and if another
 * process moved it (a `clear()`), the command runs again under the new one, so no answer comes from
 * a cleared entry.
 *
 * The adapter keeps this logic private; this is its twin for the two commands cache-manager needs.
 */
export class DataKeys {
  private readonly keys: ReturnType<typeof namespaceKeys>;
  private readonly counters: GenerationCounter;
  private readonly firstRead = new SingleFlight<number>();
  private known: number | undefined;

  constructor(
    private readonly client: MemwireClient,
    namespace: string | undefined,
  ) {
    this.keys = namespaceKeys(namespace);
    this.counters = new GenerationCounter(client);
  }

  /** `op` on the memcached key of `key`, under the namespace's current generation. */
  async run<T>(key: string, op: (wire: string) => Promise<T>): Promise<T> {
    const known = this.known;
    if (known === undefined) {
      const generation = await this.firstRead.run('', () => this.read());
      return op(this.keys.data(generation, key));
    }
    const wire = this.keys.data(known, key);
    // A server known to be classic refuses the meta command before anything is sent: checking the
    // counter beside it would be the only command sent, on every call.
    if (this.client.protocolOf(wire) === 'classic') return op(wire);
    const result = op(wire);
    // The counter's server may be down while the key's is not: nobody can have moved it then.
    const [generation, value] = await Promise.all([this.read().catch(() => known), result]);
    return generation === known ? value : op(this.keys.data(generation, key));
  }

  private async read(): Promise<number> {
    this.known = await this.counters.current(this.keys.generation);
    return this.known;
  }
}
