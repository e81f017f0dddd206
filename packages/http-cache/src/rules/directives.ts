/**
 * Cache-Control and Pragma as the cache reads them. RFC 9111 §5.2: "Cache directives are identified by
 * a token, to be compared case-insensitively"; http-cache-semantics (4.3) compares them as written, so
 * `Private`, `No-Store` or `S-MaxAge=0` would pass unnoticed and a private page be shared. Every
 * Cache-Control and Pragma value is rewritten here into the form it reads before it sees one.
 */

/** One directive: its lower-case name and its argument, unquoted (undefined when it has none). */
export type Directive = readonly [name: string, argument: string | undefined];

/**
 * The directives of a Cache-Control (or Pragma) value, in order, names lower-cased. A comma inside a
 * quoted argument (`no-cache="Set-Cookie, X-Id"`, RFC 9111 §5.2.2.4) belongs to the argument.
 */
export function parseDirectives(value: string): Directive[] {
  const directives: Directive[] = [];
  let i = 0;
  while (i < value.length) {
    let end = i;
    let quoted = false;
    while (end < value.length && (quoted || value[end] !== ',')) {
      if (value[end] === '"') quoted = !quoted;
      else if (quoted && value[end] === '\\') end++;
      end++;
    }
    const part = value.slice(i, end).trim();
    i = end + 1;
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    if (eq === -1) {
      directives.push([name, undefined]);
      continue;
    }
    let argument = part.slice(eq + 1).trim();
    if (argument.startsWith('"') && argument.endsWith('"') && argument.length >= 2) {
      argument = argument.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    directives.push([name, argument]);
  }
  return directives;
}

/**
 * A Cache-Control value http-cache-semantics reads right: names lower-case; the first of repeated
 * directives kept (RFC 9111 §4.2.1 lets a cache use the first); arguments unquoted, with their commas
 * and `=` made spaces, since http-cache-semantics splits on every comma and would read `max-age=600`
 * inside `community="x, max-age=600"` as a directive. A field-name list (`private="X"`,
 * `no-cache="Set-Cookie"`) keeps its directive, and so its effect here: not stored.
 */
export function normalizeCacheControl(value: string): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const [name, argument] of parseDirectives(value)) {
    if (seen.has(name)) continue;
    seen.add(name);
    parts.push(argument === undefined ? name : `${name}=${argument.replace(/[,=]/g, ' ')}`);
  }
  return parts.join(', ');
}

/** The names of a Cache-Control value's directives, lower-case, mapped to their first argument. */
export function directiveMap(value: string | undefined): Map<string, string | undefined> {
  const map = new Map<string, string | undefined>();
  if (value === undefined) return map;
  for (const [name, argument] of parseDirectives(value)) if (!map.has(name)) map.set(name, argument);
  return map;
}

/**
 * RFC 9213 §2.1: a targeted field is a Structured Fields Dictionary (RFC 8941 §3.2), and one that
 * fails to parse is ignored, as if absent. Checked member by member: a lower-case key, then an
 * optional integer, token, string or boolean value, and parameters; anything else is a parse failure.
 */
const SF_MEMBER =
  /^[a-z*][a-z0-9_.*-]*(?:=(?:-?\d{1,15}(?:\.\d{1,3})?|"(?:[^"\\]|\\["\\])*"|[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*|\?[01]))?(?:;[a-z*][a-z0-9_.*-]*(?:=[^;]*)?)*$/;

/** A targeted field's value when it is a valid, non-empty dictionary (RFC 9213 §2.1), else undefined. */
export function validTargetedValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const members = value.split(',').map((member) => member.trim());
  if (members.every((member) => member === '')) return undefined;
  for (const member of members) if (!SF_MEMBER.test(member)) return undefined;
  return value;
}

/**
 * The response fields the caching decision reads, normalised, with RFC 9213's targeted fields applied:
 * the first of `targeted` (lower-case names, in precedence order) with a valid, non-empty value
 * replaces Cache-Control for this cache, and Expires and Pragma are then ignored ("it MUST ignore the
 * Cache-Control and Expires header fields", RFC 9213 §2.1; Pragma only ever stands in for a missing
 * Cache-Control). The fields the client gets are not touched: this is a copy for the decision.
 */
export function cachingView(
  headers: Record<string, string>,
  targeted: readonly string[],
): Record<string, string> {
  const view = { ...headers };
  for (const name of targeted) {
    const value = validTargetedValue(headers[name]);
    if (value === undefined) continue;
    view['cache-control'] = normalizeCacheControl(value);
    delete view['expires'];
    delete view['pragma'];
    return view;
  }
  const cacheControl = headers['cache-control'];
  if (cacheControl !== undefined) view['cache-control'] = normalizeCacheControl(cacheControl);
  const pragma = headers['pragma'];
  if (pragma !== undefined) view['pragma'] = normalizeCacheControl(pragma);
  return view;
}

/** A request's Cache-Control and Pragma, normalised (RFC 9111 §5.2, §5.4: names case-insensitive). */
export function requestDirectives(
  cacheControl: string | undefined,
  pragma: string | undefined,
): { 'cache-control'?: string; pragma?: string } {
  const directives: { 'cache-control'?: string; pragma?: string } = {};
  if (cacheControl !== undefined) directives['cache-control'] = normalizeCacheControl(cacheControl);
  if (pragma !== undefined) directives.pragma = normalizeCacheControl(pragma);
  return directives;
}
