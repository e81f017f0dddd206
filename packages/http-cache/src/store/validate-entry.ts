import CachePolicy from 'http-cache-semantics';
import { type PolicyObject, policyStatus } from '../rules/freshness.js';
import { isNeverStored } from '../rules/headers.js';
import type { EntryMeta, VaryPointer } from './entry-format.js';

/**
 * What memcached returns is input, not truth: anyone who can write to the memcached can write under
 * the cache's keys. Every record read is checked here before it is used, against the bounds this
 * process would itself have written; anything else is not an entry (a miss, and deleted). Without
 * this, a forged manifest claiming 2e8 chunks blocked the event loop for ~23 s and then ran the heap
 * out of memory, and a forged `status: 99999` turned every hit into a 500.
 */
export interface RecordLimits {
  /** Largest item this process writes: no chunk may be larger. */
  itemSize: number;
  /** Largest body this process stores. */
  maxBodySize: number;
}

/** Largest metadata JSON written or read: headers and policy of one response, far more than any real one. */
export const MAX_META_BYTES = 64 * 1024;
/** Most tags one response may carry (each costs a memcached key on every hit). */
export const MAX_TAGS = 64;
/** Most fields a response may vary on. */
const MAX_VARY_FIELDS = 32;
/** Most header fields a stored response may carry. */
const MAX_HEADERS = 256;
/** Smallest chunk a writer makes (itemSize is at least 1024 bytes, see the config). */
const MIN_CHUNK_SIZE = 1024;

/** RFC 9110 §5.1: a field name is a token; stored names are lower-case. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/**
 * RFC 9110 §5.5: a field value has no CR, LF or NUL (nor other controls but HTAB); obs-text is
 * allowed. The same set Node's `setHeader` accepts, so a stored value can never make it throw.
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A generation (generations.ts): decimal text, as `incr` leaves it (64-bit: up to 20 digits). */
const GENERATION = /^[0-9]{1,20}$/;
/** A chunk nonce (entry-store.ts newNonce): 12 random bytes, base64url. */
const NONCE = /^[A-Za-z0-9_-]{16}$/;
/** A Vary digest (vary.ts): base64url of SHA-256, cut to 22 characters. */
const DIGEST = /^[A-Za-z0-9_-]{22}$/;
/** Statuses never stored: a partial response, a 304 (RFC 9111 §3, §4.3.4). */
const NEVER_STORED_STATUS = new Set([206, 304]);

type Json = Record<string, unknown>;

/** The record's metadata if every field is what this cache writes, else undefined. */
export function validateMeta(raw: unknown, limits: RecordLimits): EntryMeta | VaryPointer | undefined {
  if (!isObject(raw)) return undefined;
  if (raw['kind'] === 'vary') return validPointer(raw) ? (raw as unknown as VaryPointer) : undefined;
  if (raw['kind'] === 'entry') return validEntry(raw, limits) ? (raw as unknown as EntryMeta) : undefined;
  return undefined;
}

function validPointer(raw: Json): boolean {
  const vary = raw['vary'];
  return isVaryList(vary) && (vary as string[]).length > 0 && isString(raw['nonce'], GENERATION);
}

function validEntry(raw: Json, limits: RecordLimits): boolean {
  const status = raw['status'];
  const length = raw['length'];
  if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) return false;
  if (NEVER_STORED_STATUS.has(status as number)) return false;
  if (!Number.isSafeInteger(length) || (length as number) < 0 || (length as number) > limits.maxBodySize) {
    return false;
  }
  // RFC 9110 §15.3.5: a 204 has no content.
  if (status === 204 && length !== 0) return false;
  if (typeof raw['explicit'] !== 'boolean' || typeof raw['noStale'] !== 'boolean') return false;
  if (!validHeaderList(raw['headers'])) return false;
  if (!isVaryList(raw['vary'])) return false;
  const varied = (raw['vary'] as string[]).length > 0;
  if (varied ? !isString(raw['varyDigest'], DIGEST) : raw['varyDigest'] !== undefined) return false;
  if (raw['tags'] !== undefined && !validTags(raw['tags'])) return false;
  if (raw['generation'] !== undefined && !isString(raw['generation'], GENERATION)) return false;
  if (raw['chunks'] !== undefined && !validChunks(raw['chunks'], length as number, limits)) return false;
  return validPolicy(raw['policy'], status as number);
}

function validHeaderList(headers: unknown): boolean {
  if (!Array.isArray(headers) || headers.length > MAX_HEADERS) return false;
  return headers.every(
    (pair) =>
      Array.isArray(pair) &&
      pair.length === 2 &&
      isString(pair[0], FIELD_NAME) &&
      isString(pair[1], FIELD_VALUE) &&
      // A forged Set-Cookie would be handed to every user; a forged Content-Length would desync the body.
      !isNeverStored(pair[0] as string),
  );
}

function isVaryList(vary: unknown): boolean {
  return (
    Array.isArray(vary) && vary.length <= MAX_VARY_FIELDS && vary.every((name) => isString(name, FIELD_NAME))
  );
}

function validTags(tags: unknown): boolean {
  if (!isObject(tags)) return false;
  const names = Object.keys(tags);
  return names.length <= MAX_TAGS && names.every((name) => isString(tags[name], GENERATION));
}

/**
 * A manifest must describe exactly the parts a writer bounded by these limits would have made: a
 * count of `ceil(length / size)`, each part at most one item, so reading it costs at most
 * `ceil(maxBodySize / 1024)` keys, never what a forged count asks for.
 */
function validChunks(chunks: unknown, length: number, limits: RecordLimits): boolean {
  if (!isObject(chunks) || !isString(chunks['nonce'], NONCE)) return false;
  const { count, size } = chunks;
  if (
    !Number.isSafeInteger(size) ||
    (size as number) < MIN_CHUNK_SIZE ||
    (size as number) > limits.itemSize
  ) {
    return false;
  }
  return Number.isSafeInteger(count) && count === Math.ceil(length / (size as number)) && length > 0;
}

/**
 * The policy must be what http-cache-semantics' `toObject()` produced for a shared cache, field by
 * field, since `fromObject` trusts it blindly; then its freshness is computed once, so a policy
 * that would throw or give NaN later is refused now.
 */
function validPolicy(policy: unknown, status: number): boolean {
  if (
    !isObject(policy) ||
    policy['v'] !== 1 ||
    policy['sh'] !== true ||
    policy['st'] !== policyStatus(status)
  )
    return false;
  const numbers = ['t', 'ch'].every((name) => isFiniteNumber(policy[name]));
  if (!numbers || (policy['imm'] !== undefined && !isFiniteNumber(policy['imm']))) return false;
  if (policy['icc'] !== undefined && typeof policy['icc'] !== 'boolean') return false;
  if (policy['m'] !== 'GET' || typeof policy['a'] !== 'boolean') return false;
  for (const name of ['u', 'h'])
    if (policy[name] !== undefined && typeof policy[name] !== 'string') return false;
  if (!isStringMap(policy['resh'], false) || !isStringMap(policy['rescc'], true)) return false;
  if (!isStringMap(policy['reqcc'], true)) return false;
  if (policy['reqh'] !== null && policy['reqh'] !== undefined && !isStringMap(policy['reqh'], false)) {
    return false;
  }
  try {
    const parsed = CachePolicy.fromObject(policy as unknown as PolicyObject);
    return [parsed.timeToLive(), parsed.age(), parsed.maxAge()].every(Number.isFinite);
  } catch {
    return false;
  }
}

/** An object of string values (and `true`, for parsed Cache-Control directives without a value). */
function isStringMap(value: unknown, directives: boolean): boolean {
  if (!isObject(value)) return false;
  return Object.keys(value).every((name) => {
    const field = value[name];
    return typeof field === 'string' || (directives && field === true);
  });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown, pattern: RegExp): boolean {
  return typeof value === 'string' && pattern.test(value);
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}
