import type { Value } from '@memwire/core';
import { parseWhole } from '../config.js';
import { type CommandContext, withClient } from '../context.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { INPUT_TYPES, type InputType, parseInput, reportValue, valueAsText } from '../values.js';

/** `memwire get KEY…`: one key prints its value as is; several print a table. A miss exits 4. */
export async function getCommand(ctx: CommandContext, keys: string[]): Promise<number> {
  const { output } = ctx;
  const values = await withClient(ctx, async (client) => {
    if (keys.length === 1) {
      const value = await client.get(keys[0]!);
      return new Map<string, Value>(value === undefined ? [] : [[keys[0]!, value]]);
    }
    return client.getMany(keys);
  });
  const results = keys.map((key) => {
    const value = values.get(key);
    return value === undefined ? { key, hit: false } : { key, hit: true, ...reportValue(value) };
  });
  const misses = results.filter((result) => !result.hit).length;
  if (output.json) {
    output.result({ hits: results.length - misses, misses, results }, () => '');
  } else if (keys.length === 1) {
    printOne(ctx, keys[0]!, values.get(keys[0]!));
  } else {
    const { c } = output;
    const rows = keys.map((key) => {
      const value = values.get(key);
      if (value === undefined) return [key, c.dim('(miss)')];
      return [
        key,
        valueAsText(value, 'one line') ?? c.dim(`(${(value as Uint8Array).length} bytes, not UTF-8)`),
      ];
    });
    output.text(output.table(['key', 'value'], rows));
  }
  return misses > 0 ? ExitCode.NOT_FOUND : ExitCode.OK;
}

/** Prints one value so that `$(memwire get k)` and `memwire get k > file` give back what was stored. */
function printOne(ctx: CommandContext, key: string, value: Value | undefined): void {
  const { output } = ctx;
  if (value === undefined) {
    output.note(`${key}: not found`);
    return;
  }
  const text = valueAsText(value);
  if (text !== undefined) output.text(text);
  else if (!output.interactive) output.bytes(value as Uint8Array);
  else {
    output.note(
      `${key}: ${(value as Uint8Array).length} bytes that are not UTF-8 text; redirect to a file, or use --json for base64`,
    );
  }
}

export interface SetOptions {
  ttl?: string | undefined;
  type: string;
}

/** `memwire set KEY [VALUE]`: VALUE, or stdin when it is `-` or absent. */
export async function setCommand(
  ctx: CommandContext,
  key: string,
  valueText: string | undefined,
  options: SetOptions,
): Promise<number> {
  const type = options.type as InputType;
  if (!INPUT_TYPES.includes(type)) {
    throw new UsageError(
      `--type must be one of ${INPUT_TYPES.join(', ')}, got ${JSON.stringify(options.type)}`,
    );
  }
  const ttl = options.ttl === undefined ? undefined : parseWhole(options.ttl, '--ttl');
  const fromStdin = valueText === undefined || valueText === '-';
  if (fromStdin && (ctx.stdin as NodeJS.ReadStream).isTTY === true) {
    ctx.output.note('reading the value from stdin; end it with Ctrl-D');
  }
  const bytes = fromStdin ? await readAll(ctx.stdin) : Buffer.from(valueText, 'utf8');
  const value = parseInput(bytes, type);
  const stored = await withClient(ctx, (client) => client.set(key, value, { ttl }));
  ctx.output.result({ key, stored, ttl: ttl ?? 0 }, () => (stored ? 'stored' : 'not stored'));
  return stored ? ExitCode.OK : ExitCode.NOT_FOUND;
}

/** `memwire delete KEY…`: exits 4 when a key did not exist. */
export async function deleteCommand(ctx: CommandContext, keys: string[]): Promise<number> {
  const outcomes = await withClient(ctx, async (client) => {
    const settled = await client.deleteMany(keys);
    return keys.map((key) => {
      const outcome = settled.get(key)!;
      if (!outcome.ok) throw outcome.error;
      return { key, deleted: outcome.value };
    });
  });
  const missing = outcomes.filter((outcome) => !outcome.deleted).length;
  ctx.output.result({ deleted: outcomes.length - missing, missing, results: outcomes }, () =>
    outcomes.map(({ key, deleted }) => `${key}: ${deleted ? 'deleted' : 'not found'}`).join('\n'),
  );
  return missing > 0 ? ExitCode.NOT_FOUND : ExitCode.OK;
}

/** `memwire touch KEY TTL`: a new TTL in seconds (0 = never expire); exits 4 when the key does not exist. */
export async function touchCommand(ctx: CommandContext, key: string, ttlText: string): Promise<number> {
  const ttl = parseWhole(ttlText, 'TTL');
  const touched = await withClient(ctx, (client) => client.touch(key, ttl));
  ctx.output.result({ key, touched, ttl }, () => (touched ? 'touched' : `${key}: not found`));
  return touched ? ExitCode.OK : ExitCode.NOT_FOUND;
}

/**
 * `memwire incr|decr KEY [DELTA]`: prints the new value. memcached counts in unsigned 64 bits, so the
 * arithmetic is done in bigint; `--json` gives a number when it is exact, else a decimal string.
 */
export async function arithmeticCommand(
  ctx: CommandContext,
  verb: 'incr' | 'decr',
  key: string,
  deltaText: string | undefined,
): Promise<number> {
  const text = deltaText ?? '1';
  if (!/^\d+$/.test(text) || BigInt(text) >= 2n ** 64n) {
    throw new UsageError(`DELTA must be a whole number from 0 to 2^64-1, got ${JSON.stringify(text)}`);
  }
  const delta = BigInt(text);
  const result = await withClient(ctx, (client) =>
    verb === 'incr' ? client.incr(key, delta) : client.decr(key, delta),
  );
  const value =
    result === undefined
      ? null
      : result <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(result)
        : result.toString();
  ctx.output.result({ key, value }, () => (result === undefined ? `${key}: not found` : String(result)));
  return result === undefined ? ExitCode.NOT_FOUND : ExitCode.OK;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
