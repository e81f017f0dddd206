// GET /me: a page for the user named in the `user` cookie, with a visit counter kept in memcached by a
// service that uses the memwire client directly.
import { CacheResponse, InjectMemwire } from '@memwire/nestjs';
import { Controller, Get, Header, Headers, Inject, Injectable, Logger } from '@nestjs/common';
import { decorateClass, decorateMethod, decorateParameter } from './decorate.mjs';

/** Counts each user's visits with memcached's `incr`: one counter for every process of the app. */
export class VisitsService {
  #logger = new Logger('VisitsService');

  /** The default memwire client (`Client` of @memwire/core), the one MemwireModule.forRoot made. */
  constructor(memcached) {
    this.memcached = memcached;
  }

  /** This visit's number, or null when memcached cannot be reached (the page still answers). */
  async count(user) {
    const key = `visits:${user}`; // the module's keyPrefix makes it nestjs-app:visits:…
    try {
      // incr answers undefined when the key does not exist: create the counter with `add` (which never
      // overwrites one another request has just created), then count.
      let visits = await this.memcached.incr(key);
      if (visits === undefined) {
        await this.memcached.add(key, 0);
        visits = await this.memcached.incr(key);
      }
      return visits ?? null;
    } catch (error) {
      // memwire's errors carry a stable code and the server's address, never a credential.
      this.#logger.warn(`cannot count ${user}'s visit: ${error.code ?? error.name}: ${error.message}`);
      return null;
    }
  }
}
decorateClass(VisitsService, Injectable());
decorateParameter(VisitsService, 'constructor', 0, InjectMemwire());

export class MeController {
  constructor(visits) {
    this.visits = visits;
  }

  // Under @CacheResponse like the product pages, yet never stored: the response says
  // `Cache-Control: private` (for this user only), which a shared cache must not keep, so Ada's page
  // can never reach Bob. Headers set by @Header count for the cache's decision. (A request with a cookie
  // whose response states no freshness is not shared either, but the guest's request has no cookie.)
  async me(cookieHeader) {
    const user = userOf(cookieHeader);
    const visits = await this.visits.count(user);
    return { user, greeting: `Hello, ${user}`, visits, renderedAt: new Date().toISOString() };
  }
}
decorateClass(MeController, Controller('me'));
decorateParameter(MeController, 'constructor', 0, Inject(VisitsService));
decorateMethod(MeController, 'me', Get(), CacheResponse(), Header('Cache-Control', 'private'));
decorateParameter(MeController, 'me', 0, Headers('cookie'));

/** The `user` cookie's value when it is a plain name (letters, digits, `.`, `_`, `-`), else 'guest'. */
function userOf(cookieHeader = '') {
  for (const pair of cookieHeader.split(';')) {
    const [name, value] = pair.trim().split('=');
    if (name === 'user' && /^[\w.-]{1,40}$/.test(value ?? '')) return value;
  }
  return 'guest';
}
