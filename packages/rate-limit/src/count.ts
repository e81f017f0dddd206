/**
 * The count in a value read from memcached, or `undefined` when the value is not a counter: the core's
 * one reading of `incr` counters (decimal text, maybe trailing spaces; a string, number, bigint or
 * bytes from a codec), under this package's name.
 */
export { parseCounter as parseCount } from '@memwire/core';
