import { ErrorCodes, MemwireError } from '@memwire/core';

/**
 * The exit statuses of `memwire`, documented in the README. Scripts branch on these, so they are
 * stable: a new kind of outcome gets a new number, never a reused one.
 */
export const ExitCode = {
  /** The command did what was asked. */
  OK: 0,
  /** Something is wrong: a server is unreachable or refused the login, a probe failed, a reply was bad. */
  FAILURE: 1,
  /** The command line was wrong (unknown option, bad number, a key memcached refuses, `flush` without `--yes`); nothing was sent. */
  USAGE: 2,
  /** The configuration is invalid: a malformed `MEMCACHE_*` variable, `--servers` or `--url`. */
  CONFIG: 3,
  /** The key does not exist: a `get` miss, `delete`/`touch`/`incr` of a missing key, a `set` not stored. */
  NOT_FOUND: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake on the command line, found before anything was sent. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'ERR_MEMWIRE_USAGE';
}

/** Errors raised because the input was refused before anything was sent. */
const REFUSED_INPUT: ReadonlySet<string> = new Set([
  ErrorCodes.INVALID_KEY,
  ErrorCodes.INVALID_VALUE,
  ErrorCodes.INVALID_ARGUMENT,
  ErrorCodes.VALUE_TOO_LARGE,
]);

/** The exit status an error ends the process with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof MemwireError) {
    if (error.code === ErrorCodes.CONFIG) return ExitCode.CONFIG;
    if (REFUSED_INPUT.has(error.code)) return ExitCode.USAGE;
  }
  return ExitCode.FAILURE;
}
