import type { CacheClient } from '../client.js';

/**
 * Holds the cache's lookups until the event loop has read every request ready now, then sends them
 * in one tick, so the client writes them together as one `get k1 k2 …` line per connection.
 *
 * Under load, each request arrives in its own I/O callback, and the client flushes once per tick
 * (process.nextTick): without this, every hit would cost its own write, its own read by memcached,
 * and its own reply. `setImmediate` runs right after the I/O phase, so a lone request waits no
 * longer than that phase.
 */
export class GetBatcher {
  private pending: { key: string; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] =
    [];
  private scheduled = false;

  constructor(private readonly client: CacheClient) {}

  get(key: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const { key, resolve, reject } of batch) {
      let call: Promise<unknown>;
      try {
        call = this.client.get(key);
      } catch (error) {
        reject(error);
        continue;
      }
      call.then(resolve, reject);
    }
  };
}
