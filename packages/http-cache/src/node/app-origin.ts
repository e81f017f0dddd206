import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** The scheme and host a request was made for, as the application sees them. */
export interface AppOrigin {
  scheme: string;
  /** With its port when one was given; undefined when the request named no host. */
  host: string | undefined;
}

interface PlatformRequest {
  protocol?: unknown;
  hostname?: unknown;
}

/**
 * The scheme and host the application sees for a request, so the cache keys by what shapes its
 * answers (a redirect to `req.hostname`, a canonical link): Express's `req.protocol` and
 * `req.hostname` (and Fastify's `request.protocol` and `request.hostname`) honour the framework's
 * `trust proxy` / `trustProxy`, reading X-Forwarded-Proto and X-Forwarded-Host only from a trusted
 * proxy; a plain Node request gives its socket's encryption and its `Host` header.
 *
 * Express 4 and 5's `req.hostname` drop the port (Fastify 4's keeps it). The port is then taken
 * from whichever of `Host` and the first X-Forwarded-Host names that hostname, `Host` first: the
 * field the framework read, so the port is never one the application did not see.
 */
export function appOrigin(platformRequest: unknown, request: IncomingMessage): AppOrigin {
  const platform = (
    typeof platformRequest === 'object' && platformRequest !== null ? platformRequest : {}
  ) as PlatformRequest;
  const encrypted = (request.socket as TLSSocket | undefined)?.encrypted === true;
  const scheme = typeof platform.protocol === 'string' ? platform.protocol : encrypted ? 'https' : 'http';
  const hostHeader = headerValue(request.headers.host);
  if (typeof platform.hostname !== 'string') return { scheme, host: hostHeader };
  const hostname = platform.hostname;
  if (hostname === '' || hasPort(hostname)) return { scheme, host: hostname === '' ? hostHeader : hostname };
  const forwarded = headerValue(request.headers['x-forwarded-host'])?.split(',')[0]?.trim();
  for (const candidate of [hostHeader, forwarded]) {
    if (candidate !== undefined && hostPart(candidate).toLowerCase() === hostname.toLowerCase()) {
      return { scheme, host: candidate };
    }
  }
  return { scheme, host: hostname };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `host:port` or `[v6]:port` (a bare IPv6 address is not given without brackets in a Host). */
function hasPort(authority: string): boolean {
  return authority !== hostPart(authority);
}

function hostPart(authority: string): string {
  const start = authority.startsWith('[') ? authority.indexOf(']') : 0;
  const colon = authority.indexOf(':', start === -1 ? 0 : start);
  return colon === -1 ? authority : authority.slice(0, colon);
}
