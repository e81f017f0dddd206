import { describe, expect, test } from 'vitest';
import { decideStorage, judge, requestForbidsStorage } from '../../src/rules/freshness.js';

const anonymous = { url: '/p', headers: { host: 'h' } };
const options = { defaultTtl: 60 };

function decide(
  headers: Record<string, string>,
  request: { url: string; headers: Record<string, string> } = anonymous,
  status = 200,
) {
  return decideStorage(request, status, headers, options);
}

describe('decideStorage', () => {
  test.each([
    ['no-store', { 'cache-control': 'no-store' }],
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['no-cache', { 'cache-control': 'no-cache' }],
    ['Set-Cookie', { 'set-cookie': 'a=b', 'cache-control': 'public, max-age=60' }],
    ['Vary: *', { vary: '*', 'cache-control': 'max-age=60' }],
    ['an Expires in the past', { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' }],
  ])('refuses %s', (_name, headers) => {
    expect(decide(headers).storable).toBe(false);
  });

  test('refuses statuses it does not understand (206, 304, 1xx, unregistered), even with max-age', () => {
    for (const status of [206, 304, 103, 299, 418, 599])
      expect(decide({ 'cache-control': 'max-age=60' }, anonymous, status).storable).toBe(false);
  });

  test('stores any understood status that states its freshness, and only then', () => {
    for (const status of [400, 403, 429, 500, 503]) {
      expect(decide({ 'cache-control': 'max-age=60' }, anonymous, status)).toMatchObject({
        storable: true,
        itemTtl: 60,
      });
      expect(decide({}, anonymous, status).storable).toBe(false);
    }
  });

  test.each(['1.5', '-100', '10abc', '3, 4'])('ignores an Age of %s (RFC 9111 §5.1)', (age) => {
    expect(decide({ 'cache-control': 'max-age=60', age })).toMatchObject({ storable: true, itemTtl: 60 });
  });

  test('gives the default TTL to a response that states no freshness', () => {
    const decision = decide({ 'content-type': 'text/plain' });
    expect(decision).toMatchObject({ storable: true, itemTtl: 60, explicit: false });
  });

  test('prefers s-maxage to max-age to Expires', () => {
    const expires = new Date(Date.now() + 500_000).toUTCString();
    expect(decide({ 'cache-control': 's-maxage=10, max-age=20', expires })).toMatchObject({ itemTtl: 10 });
    expect(decide({ 'cache-control': 'max-age=20', expires })).toMatchObject({ itemTtl: 20 });
    const byExpires = decide({ expires, date: new Date().toUTCString() });
    expect(byExpires.storable && byExpires.itemTtl).toBeGreaterThan(400);
  });

  test('keeps the entry for its stale windows', () => {
    expect(
      decide({ 'cache-control': 'max-age=10, stale-while-revalidate=20, stale-if-error=50' }),
    ).toMatchObject({
      itemTtl: 60,
    });
  });

  test('shares a response to Authorization only with public, s-maxage or must-revalidate', () => {
    const authorized = { url: '/p', headers: { authorization: 'Bearer x' } };
    expect(decide({ 'cache-control': 'max-age=60' }, authorized).storable).toBe(false);
    expect(decide({ 'cache-control': 'public, max-age=60' }, authorized).storable).toBe(true);
    expect(decide({ 'cache-control': 's-maxage=60' }, authorized).storable).toBe(true);
    expect(decide({ 'cache-control': 'max-age=60, must-revalidate' }, authorized)).toMatchObject({
      noStale: true,
    });
  });

  test('does not give the default TTL to a request with a cookie, unless the response says public', () => {
    const withCookie = { url: '/p', headers: { cookie: 'sid=1' } };
    expect(decide({}, withCookie).storable).toBe(false);
    expect(decide({ 'cache-control': 'public' }, withCookie)).toMatchObject({
      storable: true,
      explicit: true,
    });
    expect(decide({ 'cache-control': 'max-age=5' }, withCookie)).toMatchObject({
      storable: true,
      explicit: true,
    });
  });

  test('stores no request header in the policy', () => {
    const decision = decide(
      { 'cache-control': 'public, max-age=60', vary: 'Cookie' },
      { url: '/p', headers: { cookie: 'sid=secret', authorization: 'Bearer secret' } },
    );
    expect(JSON.stringify(decision)).not.toContain('secret');
  });

  test('stores nothing without a TTL when ttl is 0', () => {
    expect(decideStorage(anonymous, 200, {}, { defaultTtl: 0 }).storable).toBe(false);
  });
});

describe('judge', () => {
  const policyOf = (headers: Record<string, string>) => {
    const decision = decide(headers);
    if (!decision.storable) throw new Error('not storable');
    return decision;
  };

  test('serves a fresh entry, and revalidates on the request no-cache unless directives are ignored', () => {
    const { policy, noStale } = policyOf({ 'cache-control': 'max-age=60' });
    expect(judge(policy, noStale, {}).kind).toBe('fresh');
    expect(judge(policy, noStale, { 'cache-control': 'no-cache' }).kind).toBe('revalidate');
    expect(judge(policy, noStale, { pragma: 'no-cache' }).kind).toBe('revalidate');
    expect(judge(policy, noStale, undefined).kind).toBe('fresh');
  });

  test('serves must-revalidate responses while fresh', () => {
    const { policy, noStale } = policyOf({ 'cache-control': 'max-age=60, must-revalidate' });
    expect(judge(policy, noStale, {}).kind).toBe('fresh');
  });

  test('tells stale-while-revalidate and stale-if-error apart', () => {
    const stale = (headers: Record<string, string>) => {
      const { policy, noStale } = policyOf(headers);
      return judge({ ...policy, t: policy.t - 20_000 }, noStale, {});
    };
    expect(stale({ 'cache-control': 'max-age=10, stale-while-revalidate=60' }).kind).toBe(
      'stale-while-revalidate',
    );
    expect(stale({ 'cache-control': 'max-age=10, stale-if-error=60' })).toMatchObject({
      kind: 'revalidate',
      ifError: true,
    });
    expect(stale({ 'cache-control': 'max-age=10' })).toMatchObject({ kind: 'revalidate', ifError: false });
    expect(stale({ 'cache-control': 'max-age=10, stale-while-revalidate=60, must-revalidate' }).kind).toBe(
      'revalidate',
    );
  });
});

describe('requestForbidsStorage', () => {
  test('is true only for the request no-store', () => {
    expect(requestForbidsStorage({ 'cache-control': 'no-store' })).toBe(true);
    expect(requestForbidsStorage({ 'cache-control': 'no-cache, max-age=0' })).toBe(false);
    expect(requestForbidsStorage({ authorization: 'x' })).toBe(false);
  });
});
