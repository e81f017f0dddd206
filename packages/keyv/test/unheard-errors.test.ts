import { describe, expect, test } from 'vitest';
import { createKeyv } from '../src/index.js';

/** A logger that keeps its lines. */
function recorder() {
  const lines: string[] = [];
  return { lines, warn: (message: string) => lines.push(message) };
}

// Port 1 refuses at once: every command fails with ERR_MEMWIRE_CONNECTION, never a hang.
const deadServer = '127.0.0.1:1';

describe('errors nobody listens for', () => {
  test('go to the client’s logger, once per error code', async () => {
    const logger = recorder();
    const keyv = createKeyv({ servers: deadServer, env: {}, logger, failureThreshold: 100 });
    for (let i = 0; i < 5; i++) expect(await keyv.get('k')).toBeUndefined();
    expect(logger.lines).toEqual([expect.stringMatching(/no 'error' listener \(ERR_MEMWIRE_CONNECTION: /)]);
    await keyv.disconnect();
  });

  test('are the application’s once it listens: nothing is logged then', async () => {
    const logger = recorder();
    const heard: unknown[] = [];
    const keyv = createKeyv({ servers: deadServer, env: {}, logger, failureThreshold: 100 });
    keyv.on('error', (error) => heard.push(error));
    expect(await keyv.get('k')).toBeUndefined();
    expect(heard).toHaveLength(1);
    expect(logger.lines).toEqual([]);
    await keyv.disconnect();
  });
});
