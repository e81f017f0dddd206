import { stripVTControlCharacters } from 'node:util';
import { MemwireError } from '@memwire/core';
import Table from 'cli-table3';
import picocolors from 'picocolors';
import { exitCodeFor, UsageError } from './exit-codes.js';

/** Where output goes; the real process streams outside tests. */
export interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export interface OutputOptions {
  json: boolean;
  /** False with `--no-color`. */
  color: boolean;
}

/** The FORCE_COLOR values that turn colours on; any other value turns them off. */
const FORCE_COLOR_ON: ReadonlySet<string> = new Set(['', '1', '2', '3', 'true']);

/**
 * Colours only where a person reads them, decided as Node decides (tty `getColorDepth`, the rule
 * supports-color and chalk follow too): never in `--json` output nor with `--no-color` (a flag on
 * this command line beats the environment); else `FORCE_COLOR` decides when set (`''`, `1`, `true`,
 * `2`, `3` on; `0`, `false` or anything else off), even for a pipe and over `NO_COLOR`; else a TTY
 * without `NO_COLOR` (https://no-color.org: set and not empty).
 */
export function colorsWanted(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv,
  options: OutputOptions,
): boolean {
  if (options.json || !options.color) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return FORCE_COLOR_ON.has(force);
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return stream.isTTY === true && !noColor;
}

const closedSignals = new WeakMap<NodeJS.WritableStream, AbortSignal>();

/**
 * Aborts once the reader of `stream` has gone (`memwire stats --watch | head -1`): the next write
 * fails with EPIPE, which unhandled would kill the process with a stack trace. A closed pipe is how a
 * reader says "enough", so writes to it stop and `--watch` ends with status 0, as `yes | head` ends.
 * One listener per stream however many Outputs share it; any other write error is not ours to hide.
 */
export function closedSignal(stream: NodeJS.WritableStream): AbortSignal {
  let signal = closedSignals.get(stream);
  if (signal === undefined) {
    const closed = new AbortController();
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      closed.abort();
    });
    signal = closed.signal;
    closedSignals.set(stream, signal);
  }
  return signal;
}

/**
 * Everything a command prints goes through here, so `--json`, colours and the handling of secrets are
 * decided once. In `--json` mode stdout carries exactly one JSON document per result (one line per
 * refresh under `--watch`), errors included, and nothing else.
 */
type Colors = ReturnType<typeof picocolors.createColors>;

export class Output {
  readonly json: boolean;
  /** Colours for stdout; every function is the identity when colours are off. */
  readonly c: Colors;
  private readonly errColors: Colors;
  /** Whether stdout is a terminal (progress bars and in-place redraws need one). */
  readonly interactive: boolean;
  /** Text that must never be printed (the configured password), replaced by `***` in any message. */
  private readonly secrets = new Set<string>();
  private drawnLines = 0;
  /** Aborts when stdout's reader has gone (EPIPE); nothing more is written there after it. */
  readonly stdoutClosed: AbortSignal;
  private readonly stderrClosed: AbortSignal;

  constructor(
    readonly streams: Streams,
    options: OutputOptions,
  ) {
    this.json = options.json;
    this.c = picocolors.createColors(colorsWanted(streams.stdout, streams.env, options));
    this.errColors = picocolors.createColors(colorsWanted(streams.stderr, streams.env, options));
    this.interactive = streams.stdout.isTTY === true && !options.json;
    this.stdoutClosed = closedSignal(streams.stdout);
    this.stderrClosed = closedSignal(streams.stderr);
  }

  /** Registers a credential so that no message can echo it. */
  hideSecret(secret: string | undefined): void {
    if (secret !== undefined && secret.length > 0) this.secrets.add(secret);
  }

  /** Prints a command's result: `data` as JSON under `--json`, else the text `human()` returns. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.write(`${toJson(data, 2)}\n`);
    else {
      const text = human();
      if (text !== '') this.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Text for a person on stdout (outside `--json`). */
  text(text: string): void {
    this.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Raw bytes to stdout, as `cat` would (a value stored as bytes). */
  bytes(data: Uint8Array): void {
    if (!this.stdoutClosed.aborted) this.streams.stdout.write(data);
  }

  /**
   * One frame of a live display. On a terminal it replaces the previous frame in place; otherwise
   * frames follow one another (one JSON line each under `--json`), so a log or a pipe keeps them all.
   */
  frame(data: unknown, human: () => string): void {
    if (this.json) {
      this.write(`${toJson(data)}\n`);
      return;
    }
    const text = human().replace(/\n$/, '');
    if (!this.interactive) {
      this.write(`${text}\n\n`);
      return;
    }
    // Cursor up over the last frame, then clear to the end of the screen (ECMA-48 CUU and ED).
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r\x1b[J` : '';
    this.write(`${up}${text}\n`);
    this.drawnLines = countRows(text, this.streams.stdout.columns);
  }

  /** A remark on stderr that is not a result (e.g. "k: not found" after a miss). */
  note(message: string): void {
    this.writeErr(`${this.redact(message)}\n`);
  }

  /** A warning on stderr; under `--json` it stays off stdout so the document remains parseable. */
  warn(message: string): void {
    const c = this.errColors;
    this.writeErr(`${c.yellow('warning:')} ${this.redact(message)}\n`);
  }

  /** Reports a failure: its code and message (never a stack or a credential). Returns the exit status. */
  error(error: unknown): number {
    const { code, message, server } = describeError(error);
    const text = this.redact(message);
    if (this.json) {
      const body: Record<string, string> = { code, message: text };
      if (server !== undefined) body['server'] = server;
      this.write(`${toJson({ error: body }, 2)}\n`);
    } else {
      const c = this.errColors;
      this.writeErr(`${c.red(c.bold('error'))} ${c.dim(code)} ${text}\n`);
    }
    return exitCodeFor(error);
  }

  /** A table without cli-table3's own colours (it would colour headers even in a pipe). */
  table(head: string[], rows: Table.Cell[][], align?: Table.HorizontalAlignment[]): string {
    const table = new Table({
      head: head.map((title) => this.c.bold(title)),
      style: { head: [], border: [], compact: true },
      ...(align === undefined ? {} : { colAligns: align }),
    });
    table.push(...rows);
    return table.toString();
  }

  private write(text: string): void {
    if (!this.stdoutClosed.aborted) this.streams.stdout.write(this.redact(text));
  }

  private writeErr(text: string): void {
    if (!this.stderrClosed.aborted) this.streams.stderr.write(text);
  }

  private redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join('***');
    return result;
  }
}

/** The code, message and server of any error, memwire's own or not. */
export function describeError(error: unknown): { code: string; message: string; server: string | undefined } {
  if (error instanceof MemwireError)
    return { code: error.code, message: error.message, server: error.server };
  if (error instanceof UsageError) return { code: error.code, message: error.message, server: undefined };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    code: 'ERR_MEMWIRE_CLI',
    message: `unexpected error, please report it: ${message}`,
    server: undefined,
  };
}

/** JSON with bigints as decimal strings: JSON numbers cannot hold memcached's 64-bit counters. */
export function toJson(data: unknown, indent?: number): string {
  return JSON.stringify(
    data,
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    indent,
  );
}

/** How many terminal rows `text` takes, counting lines that wrap. */
function countRows(text: string, columns: number | undefined): number {
  const width = columns !== undefined && columns > 0 ? columns : Number.POSITIVE_INFINITY;
  let rows = 0;
  for (const line of text.split('\n')) {
    const length = stripVTControlCharacters(line).length;
    rows += Math.max(1, Math.ceil(length / width));
  }
  return rows;
}

/** Formats bytes as a person reads them: 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A ratio as a percentage with one decimal, or "–" when there is none yet. */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '–' : `${(ratio * 100).toFixed(1)}%`;
}

/** Milliseconds with a precision that suits their size. */
export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Seconds as "3d 4h", "5m 2s". */
export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
