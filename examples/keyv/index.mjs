// A tour of @memwire/keyv: two Keyv namespaces on one memcached, a clear() that empties one namespace
// and leaves the other alone, and TTLs (milliseconds, as Keyv takes them) that really expire.
//
//   MEMCACHE_SERVERS=127.0.0.1:11211 npm run start -w examples/keyv
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { createKeyv } from '@memwire/keyv';

// No servers given: each reads MEMCACHIER_SERVERS / MEMCACHE_SERVERS (and the matching username and
// password) as @memwire/core does, else 127.0.0.1:11211.
const sessions = createKeyv({ namespace: 'sessions', ttl: 60_000 }); // a default TTL of one minute
const carts = createKeyv({ namespace: 'carts' }); // no default TTL: entries stay until cleared or evicted

// Keyv reports cache failures as events and answers them as misses, so listen or they go unseen.
for (const keyv of [sessions, carts]) {
  keyv.on('error', (error) => console.error(`cache error: ${error.code ?? ''} ${error.message}`));
}

const show = (label, value) =>
  console.log(`  ${label.padEnd(38)} → ${inspect(value, { breakLength: Infinity })}`);

console.log('Two namespaces, the same key in each:');
await sessions.set('ada', { user: 'ada', role: 'admin' });
await carts.set('ada', ['tea', 'biscuits']);
await carts.set('grace', ['coffee']);
show("sessions.get('ada')", await sessions.get('ada'));
show("carts.get('ada')", await carts.get('ada'));
show("carts.get(['ada', 'grace', 'nobody'])", await carts.get(['ada', 'grace', 'nobody']));

console.log('\nsessions.clear(): one incr of the namespace generation, no flush_all:');
await sessions.clear();
show("sessions.get('ada')", await sessions.get('ada'));
show("carts.get('ada')", await carts.get('ada'));

console.log('\nTTLs (memcached counts whole seconds, so 500 ms is sent as 1 s and still expires):');
await sessions.set('one-time-code', '493021', 500);
await sessions.set('remember-me', true); // the namespace's default: 60 s
await carts.set('saved-for-later', ['jam']); // no TTL at all
show("sessions.get('one-time-code')", await sessions.get('one-time-code'));
console.log('  … waiting 2.5 s');
await sleep(2_500);
show("sessions.get('one-time-code')", await sessions.get('one-time-code'));
show("sessions.get('remember-me')", await sessions.get('remember-me'));
show("carts.get('saved-for-later')", await carts.get('saved-for-later'));

await carts.clear();
await Promise.all([sessions.disconnect(), carts.disconnect()]);
