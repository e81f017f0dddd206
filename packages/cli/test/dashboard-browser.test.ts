import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@memwire/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { type DashboardHandler, dashboardHandler } from '../src/index.js';

// Debian's Chromium (scripts/ensure-memcached.mjs installs it with the suite's other system packages).
const CHROMIUM = process.env['MEMWIRE_CHROMIUM'] ?? '/usr/bin/chromium';
/** Screenshots of each state, kept as artefacts of the run. */
const artefacts = resolve(fileURLToPath(import.meta.url), '../../../../.tmp/dashboard');

let servers: MemcachedServer[];
let handler: DashboardHandler;
let http: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: run node scripts/ensure-memcached.mjs (as root) or set MEMWIRE_CHROMIUM`,
    );
  mkdirSync(artefacts, { recursive: true });
  servers = await Promise.all([startMemcached(), startMemcached()]);
  handler = dashboardHandler({
    servers: servers.map((server) => server.address).join(','),
    env: false,
    interval: 200,
  });
  http = createServer(handler).listen(0, '127.0.0.1');
  await new Promise((done) => http.once('listening', done));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  // A phone-sized window: the page must be readable there.
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  http?.closeAllConnections();
  await new Promise((done) => http?.close(done));
  await handler?.close();
  await Promise.all((servers ?? []).map((server) => server.stop()));
});

describe('the dashboard in a real browser', () => {
  test('loads, shows every server as up, and draws its charts', async () => {
    await expect.poll(() => page.locator('.server[data-state="up"]').count(), { timeout: 10_000 }).toBe(2);
    await expect
      .poll(
        async () =>
          (await page.locator('#chart-gets polyline').getAttribute('points'))?.split(' ').length ?? 0,
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThan(1);
    await page.screenshot({ path: join(artefacts, '1-loaded.png'), fullPage: true });
  });

  test('a counter moves when traffic runs', async () => {
    const client = createClient({ servers: servers.map((server) => server.address).join(','), env: false });
    const gets = async () =>
      Number(((await page.locator('#gets').textContent()) ?? '0').replace(/[^\d.]/g, '') || 0);
    const stop = { now: false };
    const traffic = (async () => {
      while (!stop.now) await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`dash:${i}`)));
    })();
    try {
      await expect.poll(gets, { timeout: 10_000 }).toBeGreaterThan(0);
      await page.screenshot({ path: join(artefacts, '2-traffic.png'), fullPage: true });
    } finally {
      stop.now = true;
      await traffic;
      await client.close();
    }
  });

  test('a killed server turns red', async () => {
    const [killed] = servers;
    await killed!.kill();
    const card = page.locator(`.server[data-server="${killed!.address}"]`);
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('down');
    // Runs in the page: the browser's own getComputedStyle (this package's types have no DOM).
    const borderColor = await card.evaluate(
      (node) =>
        (
          globalThis as unknown as { getComputedStyle(n: unknown): { borderLeftColor: string } }
        ).getComputedStyle(node).borderLeftColor,
    );
    expect(borderColor).toBe('rgb(207, 34, 46)');
    await page.screenshot({ path: join(artefacts, '3-server-down.png'), fullPage: true });
    await killed!.restart();
  });
});
