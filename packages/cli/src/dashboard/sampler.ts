import { EventEmitter } from 'node:events';
import type { Client } from '@memwire/core';
import { describeError } from '../output.js';

/** One slab class: its chunk size and how much of it is in use (`stats slabs`). */
export interface SlabSample {
  id: number;
  chunkSize: number;
  usedChunks: number;
  totalPages: number;
}

/** One server at one moment. Rates are per second since the previous sample (null on the first). */
export type ServerSample =
  | {
      server: string;
      ok: true;
      /** Hits ÷ (hits + misses) over the last interval; null when no get came in it. */
      hitRatio: number | null;
      getsPerSecond: number | null;
      setsPerSecond: number | null;
      evictionsPerSecond: number | null;
      evictions: number;
      items: number;
      bytes: number;
      limitBytes: number;
      connections: number;
      version: string | null;
      slabs: SlabSample[];
    }
  | { server: string; ok: false; error: { code: string; message: string } };

export interface Sample {
  /** Epoch milliseconds. */
  time: number;
  servers: ServerSample[];
}

interface Counters {
  time: number;
  gets: number;
  sets: number;
  hits: number;
  misses: number;
  evictions: number;
}

/** A counter from memcached's reply: what a server (or whoever wrote to it) sends is input, not truth. */
function count(stats: Readonly<Record<string, string>>, name: string): number {
  const value = Number(stats[name]);
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

/** `stats slabs` lines (`1:chunk_size 96`) as one entry per class, largest 64 classes at most. */
export function parseSlabs(stats: Readonly<Record<string, string>>): SlabSample[] {
  const classes = new Map<number, SlabSample>();
  for (const [name, raw] of Object.entries(stats)) {
    const match = /^(\d{1,3}):(chunk_size|used_chunks|total_pages)$/.exec(name);
    if (match === null) continue;
    const id = Number(match[1]);
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) continue;
    let slab = classes.get(id);
    if (slab === undefined) {
      if (classes.size >= 64) continue;
      slab = { id, chunkSize: 0, usedChunks: 0, totalPages: 0 };
      classes.set(id, slab);
    }
    if (match[2] === 'chunk_size') slab.chunkSize = value;
    else if (match[2] === 'used_chunks') slab.usedChunks = value;
    else slab.totalPages = value;
  }
  return [...classes.values()].sort((a, b) => a.id - b.id);
}

/**
 * Asks every server for `stats` and `stats slabs` every `intervalMs`, on a client of its own (a dead
 * server is a failed sample, never a hole in the others'), keeps the last `historySize` samples and
 * emits each as `'sample'`. Its timer never holds the process open.
 */
export class Sampler extends EventEmitter<{ sample: [Sample] }> {
  private readonly samples: Sample[] = [];
  private readonly previous = new Map<string, Counters>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly clients: ReadonlyMap<string, Client>,
    private readonly intervalMs: number,
    private readonly historySize: number,
  ) {
    super();
  }

  /** The samples kept, oldest first. */
  history(): readonly Sample[] {
    return this.samples;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const tick = (): void => {
      this.running = this.sampleOnce().finally(() => {
        this.running = undefined;
        if (this.timer !== undefined) {
          this.timer = setTimeout(tick, this.intervalMs);
          this.timer.unref();
        }
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: every server asked at once. */
  async sampleOnce(): Promise<Sample> {
    const time = Date.now();
    const servers = await Promise.all(
      [...this.clients].map(([server, client]) => this.sampleServer(server, client, time)),
    );
    const sample = { time, servers };
    this.samples.push(sample);
    if (this.samples.length > this.historySize) this.samples.shift();
    this.emit('sample', sample);
    return sample;
  }

  private async sampleServer(server: string, client: Client, time: number): Promise<ServerSample> {
    try {
      const [general, slabs] = await Promise.all([client.stats(), client.stats('slabs')]);
      const stats = general.get(server) ?? {};
      const now: Counters = {
        time,
        gets: count(stats, 'cmd_get'),
        sets: count(stats, 'cmd_set'),
        hits: count(stats, 'get_hits'),
        misses: count(stats, 'get_misses'),
        evictions: count(stats, 'evictions'),
      };
      const before = this.previous.get(server);
      this.previous.set(server, now);
      // A restarted server's counters start again from 0: no rate across the restart.
      const usable = before !== undefined && now.gets >= before.gets && now.time > before.time;
      const seconds = usable ? (now.time - before.time) / 1000 : 0;
      const rate = (key: keyof Omit<Counters, 'time'>): number | null =>
        usable ? (now[key] - before[key]) / seconds : null;
      const looked = usable ? now.hits - before.hits + (now.misses - before.misses) : 0;
      return {
        server,
        ok: true,
        hitRatio: usable && looked > 0 ? (now.hits - before.hits) / looked : null,
        getsPerSecond: rate('gets'),
        setsPerSecond: rate('sets'),
        evictionsPerSecond: rate('evictions'),
        evictions: now.evictions,
        items: count(stats, 'curr_items'),
        bytes: count(stats, 'bytes'),
        limitBytes: count(stats, 'limit_maxbytes'),
        connections: count(stats, 'curr_connections'),
        version: typeof stats['version'] === 'string' ? stats['version'].slice(0, 40) : null,
        slabs: parseSlabs(slabs.get(server) ?? {}),
      };
    } catch (error) {
      this.previous.delete(server);
      const { code, message } = describeError(error);
      return { server, ok: false, error: { code, message } };
    }
  }
}
