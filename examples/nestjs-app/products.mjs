// The product pages: a slow GET cached with @CacheResponse, and a POST that changes a product and so
// drops its cached page.
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheResponse, InjectResponseCache } from '@memwire/nestjs';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { decorateClass, decorateMethod, decorateParameter } from './decorate.mjs';

/** Stands for a database: a little slow, and the one place prices change. */
export class Catalogue {
  #products = new Map([
    ['1', { id: 1, name: 'Espresso cup', price: 12 }],
    ['2', { id: 2, name: 'Milk jug', price: 18.5 }],
    ['3', { id: 3, name: 'Tamper', price: 24 }],
  ]);

  /** The response cache of the default client (see onApplicationBootstrap). */
  constructor(pages) {
    this.pages = pages;
  }

  async find(id) {
    await sleep(300); // stands for a slow query
    return this.#products.get(id);
  }

  update(id, changes) {
    const product = this.#products.get(id);
    if (product !== undefined) Object.assign(product, changes);
    return product;
  }

  // The catalogue lives in this process and starts over with each run, so pages cached by an earlier
  // run may show prices that no longer hold. Every product page is tagged `products`: one call drops
  // them all, in every process sharing the memcached, before the first request.
  async onApplicationBootstrap() {
    try {
      await this.pages.invalidateTags('products');
    } catch (error) {
      new Logger('Catalogue').warn(
        `memcached unreachable (${error.code}): answering uncached until it is back`,
      );
    }
  }
}
decorateClass(Catalogue, Injectable());
decorateParameter(Catalogue, 'constructor', 0, InjectResponseCache());

export class ProductsController {
  constructor(catalogue) {
    this.catalogue = catalogue;
  }

  // GET /products/1: 300 ms the first time (X-Cache: MISS), then from memcached at once (HIT) for 60 s,
  // status, headers and body as they were. The `products` tag lets the catalogue drop every product page
  // at once.
  async findOne(id) {
    const product = await this.catalogue.find(id);
    if (product === undefined) throw new NotFoundException(`no product ${id}`);
    return { ...product, renderedAt: new Date().toISOString() };
  }

  // POST /products/1 {"price": 9.5}. Under @CacheResponse, a POST (or PUT, PATCH, DELETE) that succeeds
  // invalidates its own URL, here GET /products/1, before the client hears back: the next GET is
  // rebuilt with the new price. A 4xx changes nothing, so it invalidates nothing.
  update(id, body) {
    const price = body?.price;
    if (typeof price !== 'number' || !(price > 0)) {
      throw new BadRequestException('send {"price": a number > 0}');
    }
    const product = this.catalogue.update(id, { price });
    if (product === undefined) throw new NotFoundException(`no product ${id}`);
    return product;
  }
}
decorateClass(ProductsController, Controller('products'));
decorateParameter(ProductsController, 'constructor', 0, Inject(Catalogue));
decorateMethod(ProductsController, 'findOne', Get(':id'), CacheResponse({ ttl: 60, tags: ['products'] }));
decorateParameter(ProductsController, 'findOne', 0, Param('id'));
decorateMethod(ProductsController, 'update', Post(':id'), HttpCode(200), CacheResponse());
decorateParameter(ProductsController, 'update', 0, Param('id'));
decorateParameter(ProductsController, 'update', 1, Body());
