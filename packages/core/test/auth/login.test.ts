import { describe, expect, test } from 'vitest';
import type { Credentials } from '../../src/auth/dialects.js';
import { encodeLogin } from '../../src/auth/dialects.js';
import { LoginFlow } from '../../src/auth/login.js';
import { type Wire, wireBytes } from '../../src/protocol/encoder.js';

const alice: Credentials = { kind: 'password', username: 'alice', password: 's3cret' };
const iron: Credentials = { kind: 'ironcache', token: 'tok123', projectId: 'proj9', cacheName: 'sessions' };

const WRONG_FORMAT = 'CLIENT_ERROR bad authentication token format';
const text = (wire: Wire): string => wireBytes(wire).toString('utf8');

describe('encodeLogin', () => {
  test('memcachier: set <username> 0 0 <len>, the password as the value', () => {
    expect(text(encodeLogin('memcachier', alice))).toBe('set alice 0 0 6\r\ns3cret\r\n');
  });

  test('memcached: set <key> 0 0 <len>, "<username> <password>" as the value', () => {
    expect(text(encodeLogin('memcached', alice))).toBe('set alice 0 0 12\r\nalice s3cret\r\n');
  });

  test('ironcache: set oauth 0 0 <len>, "<token> <project_id> <cache_name>" as the value', () => {
    expect(text(encodeLogin('ironcache', iron))).toBe('set oauth 0 0 21\r\ntok123 proj9 sessions\r\n');
  });

  test('counts the length of a non-ASCII password in bytes', () => {
    const credentials: Credentials = { kind: 'password', username: 'bob', password: 'p\u00e4ss' };
    expect(wireBytes(encodeLogin('memcachier', credentials))).toEqual(
      Buffer.from('set bob 0 0 5\r\np\u00e4ss\r\n'),
    );
    expect(wireBytes(encodeLogin('memcached', credentials))).toEqual(
      Buffer.from('set bob 0 0 9\r\nbob p\u00e4ss\r\n'),
    );
  });

  test('sends a password with spaces as it is', () => {
    const credentials: Credentials = { kind: 'password', username: 'bob', password: 'a b' };
    expect(text(encodeLogin('memcachier', credentials))).toBe('set bob 0 0 3\r\na b\r\n');
  });

  test('uses the IronCache form for IronCache credentials whatever the dialect', () => {
    expect(text(encodeLogin('memcachier', iron))).toBe(text(encodeLogin('ironcache', iron)));
  });
});

describe('LoginFlow', () => {
  describe('with a fixed dialect', () => {
    test.each([
      ['memcachier', 'set alice 0 0 6\r\ns3cret\r\n'],
      ['memcached', 'set alice 0 0 12\r\nalice s3cret\r\n'],
    ] as const)('starts with the %s form', (dialect, bytes) => {
      const flow = new LoginFlow(dialect, alice);
      expect(flow.dialect).toBe(dialect);
      expect(text(flow.start())).toBe(bytes);
    });

    test('is logged in on STORED', () => {
      expect(new LoginFlow('memcached', alice).onReply('STORED')).toEqual({
        kind: 'ok',
        dialect: 'memcached',
      });
    });

    test('does not retry in another form when memcachier was chosen', () => {
      expect(new LoginFlow('memcachier', alice).onReply(WRONG_FORMAT)).toEqual({
        kind: 'failed',
        reply: WRONG_FORMAT,
      });
    });

    test('uses the IronCache form for IronCache credentials', () => {
      const flow = new LoginFlow('ironcache', iron);
      expect(flow.dialect).toBe('ironcache');
      expect(text(flow.start())).toBe('set oauth 0 0 21\r\ntok123 proj9 sessions\r\n');
      expect(flow.onReply('STORED')).toEqual({ kind: 'ok', dialect: 'ironcache' });
    });
  });

  describe('with auto', () => {
    test('tries the memcachier form first', () => {
      const flow = new LoginFlow('auto', alice);
      expect(flow.dialect).toBe('memcachier');
      expect(text(flow.start())).toBe('set alice 0 0 6\r\ns3cret\r\n');
    });

    test('is logged in on STORED to the memcachier form', () => {
      const flow = new LoginFlow('auto', alice);
      flow.start();
      expect(flow.onReply('STORED')).toEqual({ kind: 'ok', dialect: 'memcachier' });
    });

    test('retries in the memcached form when memcached -Y says the token format is bad', () => {
      const flow = new LoginFlow('auto', alice);
      flow.start();
      const step = flow.onReply(WRONG_FORMAT);
      expect(step.kind).toBe('retry');
      if (step.kind !== 'retry') return;
      expect(step.dialect).toBe('memcached');
      expect(text(step.bytes)).toBe('set alice 0 0 12\r\nalice s3cret\r\n');
      expect(flow.dialect).toBe('memcached');
      expect(flow.onReply('STORED')).toEqual({ kind: 'ok', dialect: 'memcached' });
    });

    test('remembers the dialect that worked, so a reconnect skips the probe', () => {
      const flow = new LoginFlow('auto', alice);
      flow.start();
      flow.onReply(WRONG_FORMAT);
      flow.onReply('STORED');
      expect(text(flow.start())).toBe('set alice 0 0 12\r\nalice s3cret\r\n');
    });

    test('fails, without looping, when the memcached form is refused too', () => {
      const flow = new LoginFlow('auto', alice);
      flow.start();
      flow.onReply(WRONG_FORMAT);
      expect(flow.onReply('CLIENT_ERROR authentication failure')).toEqual({
        kind: 'failed',
        reply: 'CLIENT_ERROR authentication failure',
      });
      expect(flow.onReply(WRONG_FORMAT)).toEqual({ kind: 'failed', reply: WRONG_FORMAT });
    });

    test('does not retry on a wrong password', () => {
      const flow = new LoginFlow('auto', alice);
      flow.start();
      expect(flow.onReply('CLIENT_ERROR authentication failure')).toEqual({
        kind: 'failed',
        reply: 'CLIENT_ERROR authentication failure',
      });
      expect(flow.dialect).toBe('memcachier');
    });

    test('uses the IronCache form for IronCache credentials, without a retry', () => {
      const flow = new LoginFlow('auto', iron);
      expect(flow.dialect).toBe('ironcache');
      expect(text(flow.start())).toBe('set oauth 0 0 21\r\ntok123 proj9 sessions\r\n');
      expect(flow.onReply(WRONG_FORMAT)).toEqual({ kind: 'failed', reply: WRONG_FORMAT });
    });
  });

  test.each([
    'NOT_STORED',
    'ERROR',
    'EXISTS',
    'CLIENT_ERROR unauthenticated',
    'SERVER_ERROR out of memory storing object',
    'STORED ',
    '',
  ])('fails on %j', (reply) => {
    expect(new LoginFlow('auto', alice).onReply(reply)).toEqual({ kind: 'failed', reply });
  });
});
