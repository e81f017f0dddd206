/** What a secret reads as in messages, `util.inspect` and JSON. */
export const MASKED = '***';

/** util.inspect's hook, by its registry name so the core need not import node:util for it. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * `entry` with the secret part of its userinfo masked: `app:***@host:11211` for memjs's
 * `app:pass@host:11211` or a URL (any scheme, a misspelt one included), `***@host` when there is no
 * ":" (the part before "@" may then be a bare token). The credentials end at the last "@", as in
 * WHATWG URLs and memjs, so a password holding "@" is masked whole.
 */
export function maskUserinfo(entry: string): string {
  const at = entry.lastIndexOf('@');
  if (at === -1) return entry;
  const scheme = SCHEME.exec(entry)?.[0] ?? '';
  if (at < scheme.length) return entry;
  const userinfo = entry.slice(scheme.length, at);
  const colon = userinfo.indexOf(':');
  const masked = colon === -1 ? MASKED : `${userinfo.slice(0, colon)}:${MASKED}`;
  return `${scheme}${masked}${entry.slice(at)}`;
}

/**
 * Masks every userinfo-looking word (`…@…` between spaces, quotes or commas) of a message: the last
 * line of defence for a message that quotes what the user configured.
 */
export function maskCredentialsIn(text: string): string {
  return text.replace(/[^\s"'`,]*@[^\s"'`,]*/g, (word) => maskUserinfo(word));
}

/**
 * Gives `target` a `toJSON` and a `util.inspect` form (both non-enumerable, so spreads and equality
 * ignore them) in which `fields` read {@link MASKED}: a config object logged or serialised whole,
 * or reached through `util.inspect(client)`, shows that a secret is set, never the secret. The
 * fields themselves stay readable for the code that needs them (the login, `tls.connect`).
 */
export function hideSecrets<T extends object>(target: T, fields: readonly string[]): T {
  const masked = (): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(target).map(([name, value]) => [
        name,
        fields.includes(name) && value !== undefined ? MASKED : value,
      ]),
    );
  Object.defineProperty(target, 'toJSON', { value: masked, configurable: true });
  Object.defineProperty(target, INSPECT, { value: masked, configurable: true });
  return target;
}
