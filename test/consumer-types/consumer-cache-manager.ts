// @memwire/cache-manager and @memwire/nestjs for the Node16 and bundler checks (consumer.ts says why
// not node10).
import * as cacheManager from '@memwire/cache-manager';
import * as core from '@memwire/core';
import * as nestjs from '@memwire/nestjs';
import * as recipes from '@memwire/nestjs/recipes';

export const store = cacheManager.memwireStore({ client: core.createClient({ servers: '127.0.0.1:11211' }) });
export const module = nestjs.MemwireModule;
export const recipe = recipes.createKeyv;
