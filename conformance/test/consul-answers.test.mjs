// "One bad answer never loses the catalog": real proxyless gRPC clients make RPCs all the time while Consul (the
// dev agent) gives answers that are well-formed but wrong to act on: the bridge's ACL token loses service:read
// (answers filtered to nothing, same index), one service's answers are filtered (same index, another body), and a
// Consul rebuilt from scratch answers a low index and no services. Not one RPC may fail while the bridge holds
// on; /readyz must say degraded meanwhile; recovery is measured from the moment Consul is right again.
//
// Blocking queries wait 60 s here, as a production bridge's would wait minutes: a token that works again does
// not move Consul's index, so only the bridge's short re-read (Consul:AclRetryWait, 5 s) can see it in time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientFactory } from '../lib/clients.mjs';
import { devControl, prepareService, servedBy, Summary } from '../lib/faults.mjs';
import { useBridge } from '../lib/suite.mjs';

const BRIDGE_TOKEN = 'bridge-read-token-0123456789';
const ADMIN_TOKEN = 'admin-write-token-0123456789';
const READ_ALL = { service_prefix: { '': { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } };
const WRITE_ALL = { service_prefix: { '': { policy: 'write' } }, node_prefix: { '': { policy: 'write' } } };

let clients;
const summary = new Summary();

const env = useBridge({
  bridgeSettings: {
    'Consul:Token': BRIDGE_TOKEN,
    'Consul:Wait': '00:01:00',
    'Consul:RetryBaseDelay': '00:00:00.250',
    'Consul:RetryMaxDelay': '00:00:02',
    // This file's catalog is small: hold any removal of more than half of it.
    'Catalog:RemovalGuardMinServices': '0',
    'Catalog:RemovalGuardMinInstances': '0',
  },
  async setup(env) {
    // ACLs on: the bridge reads everything, the test writes with its own token.
    await env.agent.setAclToken(BRIDGE_TOKEN, READ_ALL);
    await env.agent.setAclToken(ADMIN_TOKEN, WRITE_ALL);
    env.agent.token = ADMIN_TOKEN;
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
  },
});

function assertNoFailure(s, from, to, what, minimum = 20) {
  const tally = s.traffic.tally(from, to);
  assert.equal(tally.failures, 0, `no RPC may fail ${what}: ${tally} ${s.traffic.failuresDescribed(from)}`);
  assert.ok(tally.total >= minimum, `RPCs kept flowing ${what} (${tally.total}, want >= ${minimum})`);
}

/** After a recovery, a deregistration must still reach the traffic: returns how long it took. */
async function followDeregistration(s) {
  const since = Date.now();
  await env.agent.deregister(`${s.name}-2`);
  return s.traffic.followed(`${s.name}'s traffic to leave ${s.name}-2`, since, (o) => servedBy(o).join() === `${s.name}-1`, { timeout: 20_000 });
}

async function finish(s, row) {
  row.rpcs = s.traffic.total;
  row.failed = (await s.traffic.stop()).failures;
  await s.readiness.stop();
  s.client.close();
  summary.record(row);
}

env.scenario('the token loses service:read (every answer filtered, same index): no RPC fails; back within seconds when it is restored', async (t) => {
  const s = await prepareService(env, clients, 'acl-all');
  const row = { scenario: 'token loses service:read, then regains it' };
  const t0 = Date.now();

  await env.agent.setAclToken(BRIDGE_TOKEN, {});
  // Any change wakes the parked queries, which now come back filtered to nothing (the list at the same index).
  await devControl.touch(env.agent, s.name);
  await s.readiness.until('degraded', { since: t0, timeout: 15_000 });
  const readyz = (await env.bridge.admin('/readyz')).body;
  assert.ok(readyz.reasons.some((r) => r.includes('ACLs filtered')), `readyz names the reason: ${JSON.stringify(readyz.reasons)}`);
  await s.traffic.flow(100);
  const catalog = (await env.bridge.admin('/debug/catalog')).body;
  assert.deepEqual(catalog.services.find((x) => x.name === s.name)?.instances.map((i) => i.serviceId).sort(), [`${s.name}-1`, `${s.name}-2`],
    'a filtered answer removes nothing');

  const fixed = Date.now();
  await env.agent.setAclToken(BRIDGE_TOKEN, READ_ALL);
  const readyAt = await s.readiness.until('ready', { since: fixed, timeout: 20_000 });
  row.readyMs = readyAt - fixed;
  assertNoFailure(s, t0, Date.now(), 'while the token cannot read');
  assert.ok(row.readyMs < 7_000, `ready ${row.readyMs} ms after the token works again (the blocking wait is 60 s; the re-read every 5 s)`);
  row.followMs = await followDeregistration(s);
  t.diagnostic(`ready again ${row.readyMs} ms after the token was fixed; next change followed in ${row.followMs} ms`);
  await finish(s, row);
});

env.scenario('one service filtered by ACLs (same index, another body): its instances stay served; back within seconds', async (t) => {
  const s = await prepareService(env, clients, 'acl-one');
  const row = { scenario: 'one service filtered (same index, other body)' };
  const t0 = Date.now();

  await env.agent.setAclToken(BRIDGE_TOKEN, { ...READ_ALL, service: { [s.name]: { policy: 'deny' } } });
  await devControl.touch(env.agent, s.name);
  await s.readiness.until('degraded', { since: t0, timeout: 15_000 });
  await s.traffic.flow(100);

  const fixed = Date.now();
  await env.agent.setAclToken(BRIDGE_TOKEN, READ_ALL);
  row.readyMs = (await s.readiness.until('ready', { since: fixed, timeout: 20_000 })) - fixed;
  assertNoFailure(s, t0, Date.now(), 'while the service is filtered');
  assert.ok(row.readyMs < 7_000, `ready ${row.readyMs} ms after the rules were fixed`);
  row.followMs = await followDeregistration(s);
  t.diagnostic(`ready again ${row.readyMs} ms after the rules were fixed; next change followed in ${row.followMs} ms`);
  await finish(s, row);
});

env.scenario('a Consul rebuilt from scratch (low index, no services): the removal is held, no RPC fails, released when agents re-register', async (t) => {
  const s = await prepareService(env, clients, 'rebuilt');
  const row = { scenario: 'rebuilt Consul: low index, nothing' };
  const t0 = Date.now();

  const index = await env.agent.wipe();
  await s.readiness.until('degraded', { since: t0, timeout: 15_000 });
  const catalog = (await env.bridge.admin('/debug/catalog')).body;
  assert.ok(catalog.heldRemoval, 'the removal is held as suspect');
  assert.ok(catalog.heldRemoval.services.includes(s.name), `held: ${JSON.stringify(catalog.heldRemoval)}`);
  await s.traffic.flow(150);
  assertNoFailure(s, t0, Date.now(), 'while Consul says nothing is registered', 100);

  // The cluster's agents register their services again (anti-entropy), and the bridge follows Consul again.
  const back = Date.now();
  await env.register(s.name, s.backends);
  row.readyMs = (await s.readiness.until('ready', { since: back, timeout: 20_000 })) - back;
  assert.equal((await env.bridge.admin('/debug/catalog')).body.heldRemoval ?? null, null, 'the hold is released');
  assertNoFailure(s, t0, Date.now(), 'from the rebuild to the re-registration');
  row.followMs = await followDeregistration(s);
  t.diagnostic(`wiped to index ${index}; ready ${row.readyMs} ms after re-registration; next change followed in ${row.followMs} ms`);
  await finish(s, row);
});

test('summary', () => {
  for (const line of summary.lines()) console.log(`# ${line}`);
});
