// `@memwire/nestjs/recipes`: the stores @nestjs/cache-manager takes, re-exported for Nest apps. A
// subpath of its own, so the main entry loads without cache-manager or keyv: a Nest app that only
// uses MemwireModule and @CacheResponse (on Express or Fastify) installs neither.
export { createMemwireCache, type MemwireStore, memwireStore } from '@memwire/cache-manager';
export { createKeyv, KeyvMemwire } from '@memwire/keyv';
