// "Never lose an endpoint": real proxyless gRPC clients (@grpc/grpc-js-xds 1.14.1) make RPCs all the time
// while Consul (the dev agent, through its fault knobs) misbehaves. Wherever a healthy backend existed, not
// one RPC may fail; the bridge must say `degraded` while Consul fails and `ready` once it answers again; and
// after every fault a change made in Consul must still reach the client's traffic.
//
// Every scenario has its own service with two healthy backends and its own client (own node id, own ADS
// stream). Per scenario it records RPCs made, RPCs failed, how long after the fault /readyz said `ready`
// again, and how long the next change took to show in the traffic; the last test prints that table.
//
// The last two scenarios put a relay (lib/faults.mjs startRelay) between the bridge and the agent, for
// answers the agent's knobs cannot give: uncompressed (so a mid-body cut is a real one) and a gzip body that
// does not inflate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { TYPE, envoyNode, grpcNode } from '../lib/ads-client.mjs';
import { ClientFactory, runBatch } from '../lib/clients.mjs';
import { consulErrors, devControl, prepareService, servedBy, startRelay, Summary } from '../lib/faults.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';
import { snapshot } from '../lib/xds-snapshot.mjs';

// Blocking queries wait 5 s (not Consul's 5 min) so a late answer or a watcher parked on a stale index shows
// within a test's time; retries back off from 250 ms up to 2 s so recovery is measured in seconds.
const WAIT_MS = 5000;
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-faults-'));
const statePath = path.join(stateDir, 'catalog.json');

let clients;
let relay; // while a scenario runs the bridge through one
const summary = new Summary();

const env = useBridge({
  bridgeSettings: {
    'Consul:Wait': '00:00:05',
    'Consul:RetryBaseDelay': '00:00:00.250',
    'Consul:RetryMaxDelay': '00:00:02',
    'State:Path': statePath,
    'State:WriteInterval': '00:00:01',
  },
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
    env.onCleanup(() => fs.rmSync(stateDir, { recursive: true, force: true }));
    // Whatever a failed scenario left in force must not leak into the next one or into shutdown.
    env.onCleanup(() => devControl.clearFaults(env.agent));
  },
});

/** Deregisters `<name>-2` now and returns how long until 30 RPCs in a row went to `<name>-1` only. */
async function followDeregistration(s, { timeout = 20_000 } = {}) {
  const since = Date.now();
  await env.agent.deregister(`${s.name}-2`);
  return s.traffic.followed(`${s.name}'s traffic to leave the deregistered ${s.name}-2`, since,
    (outcomes) => servedBy(outcomes).join() === `${s.name}-1`, { timeout });
}

/** Asserts that every RPC in [from, to) succeeded and that both backends kept serving. */
function assertWindow(s, from, to, what, { minimum = 20 } = {}) {
  const tally = s.traffic.tally(from, to);
  assert.equal(tally.failures, 0, `no RPC may fail ${what}: ${tally}`);
  assert.ok(tally.total >= minimum, `RPCs kept flowing ${what} (${tally.total} made, want >= ${minimum}): ${tally}`);
  assert.deepEqual(tally.backends, [`${s.name}-1`, `${s.name}-2`], `both backends keep serving ${what}: ${tally}`);
  return tally;
}

/**
 * What the bridge serves right now (after a fault, or in the middle of one) passes Envoy's validation: an Envoy
 * node's every resource (state of the world) and a gRPC client's of the scenario's service (delta), taken with
 * the raw client (lib/xds-snapshot.mjs). The grpc-js clients of these scenarios would not say.
 */
async function assertServedValid(s, when) {
  await snapshot(env.bridge.adsAddress, envoyNode(`${s.name}-${when}-envoy`), { protocol: 'sotw' });
  const grpc = await snapshot(env.bridge.adsAddress, grpcNode(`${s.name}-${when}-grpc`), { protocol: 'delta', services: [s.name] });
  assert.ok(grpc.of(TYPE.endpoint).get(s.name)?.plain.endpoints.length > 0, `${when}: ${s.name} is served with its endpoints`);
}

/**
 * Stops the traffic and the readiness log, records the row, closes the client, and asserts that no RPC
 * of the whole scenario failed.
 */
async function finish(s, row) {
  const tally = await s.traffic.stop();
  await s.readiness.stop();
  summary.record({ scenario: row.scenario, rpcs: tally.total, failed: tally.failures, ...row });
  s.client.close();
  assert.equal(tally.failures, 0, `no RPC may fail while a healthy backend exists: ${tally}; first failures: ${s.traffic.failuresDescribed(s.started)}`);
  return tally;
}

/**
 * Runs a scenario so that a failure still records its row (marked FAILED) and stops its traffic: the
 * summary then shows every scenario however it ended.
 */
function faultScenario(title, label, body, { setup, ...options } = {}) {
  env.scenario(title, async (t) => {
    let s;
    let teardown;
    const row = { scenario: label };
    try {
      teardown = await setup?.();
      s = await prepareService(env, clients, label);
      await body(s, row, t);
      await assertServedValid(s, 'after');
    } catch (e) {
      if (!row.note?.startsWith('KNOWN BUG')) row.note = `FAILED: ${String(e.message).split('\n')[0].slice(0, 100)}`;
      throw e;
    } finally {
      await devControl.clearFaults(env.agent).catch(() => {});
      if (s) {
        const failed = await finish(s, row).then(() => null, (e) => e);
        t.diagnostic(`${label}: ${s.traffic.total} RPCs, ${s.traffic.tally().failures} failed; readyz seen: ${s.readiness.seen(s.started).join(' -> ')}`);
        if (failed && !row.note) throw failed;
      } else {
        summary.record(row);
      }
      await teardown?.();
    }
  }, options);
}

faultScenario('Consul down for 30 s: no RPC fails, readiness degraded then ready, the next change is followed', 'down', async (s, row) => {
  const t0 = Date.now();
  await env.agent.faults({ Down: { For: '30s' } });
  await s.readiness.until('degraded', { since: t0, timeout: 10_000 });
  await assertServedValid(s, 'degraded');
  // The agent ends the outage by itself after 30 s; /_dev answers throughout.
  await waitFor('the 30 s outage to end', () => devControl.faultsInForce(env.agent), (f) => !f.Down, { timeout: 40_000, interval: 100 });
  const end = Date.now();
  assert.ok(end - t0 >= 29_000, `the outage lasted ${end - t0} ms`);
  assertWindow(s, t0, end, 'while Consul is down', { minimum: 500 });
  assert.ok(!s.readiness.seen(t0 + 2000, end).includes('ready'), `readiness never says ready while Consul is down: ${s.readiness.seen(t0, end)}`);

  row.readyMs = (await s.readiness.until('ready', { since: end, timeout: 15_000 })) - end;
  row.followMs = await followDeregistration(s);
  row.note = `fault window ${s.traffic.tally(t0, end).total} RPCs`;
}, { timeout: 80_000 });

faultScenario('index reset (snapshot restore): no RPC fails, and the next change is followed at once', 'index-reset', async (s, row) => {
  // Writes that leave the data alone, so the index the watcher holds is well above where it will drop to.
  for (let i = 0; i < 20; i++) await devControl.touch(env.agent, s.name);
  await delay(300);
  const before = await devControl.index(env.agent);
  assert.ok(before > 20, `the catalog has a high index to drop from (${before})`);
  const t0 = Date.now();
  await devControl.resetIndex(env.agent, 2);
  // Blocking queries return at once with the low index; the watcher must start over from there. A watcher
  // that went back to blocking on the old, higher index would see nothing before its 5 s wait ran out, that
  // is at least 3.5 s after the changes below.
  await delay(1500);
  const since = Date.now();
  // Two changes: one to an instance (the service's watch) and a new service (the service list's watch).
  const [fresh] = await env.startBackends([`${s.name}-new-1`]);
  const newService = (async () => {
    const at = Date.now();
    await env.register(`${s.name}-new`, [fresh]);
    await waitFor(`the bridge to list ${s.name}-new`, () => env.bridge.admin('/debug/catalog'),
      ({ body }) => body.services.some((x) => x.name === `${s.name}-new` && x.instances.length === 1), { timeout: 15_000, interval: 25 });
    return Date.now() - at;
  })();
  row.followMs = await followDeregistration(s);
  const newServiceMs = await newService;
  assert.ok(row.followMs < WAIT_MS / 2, `the change after the index reset reached the traffic in ${row.followMs} ms, not within half the ${WAIT_MS} ms wait`);
  assert.ok(newServiceMs < WAIT_MS / 2, `a service registered after the index reset was listed in ${newServiceMs} ms, not within half the ${WAIT_MS} ms wait`);
  assertWindow(s, t0, since, 'across the index reset');
  // Consul answered every query: nothing here is a failure of Consul.
  assert.deepEqual(s.readiness.seen(t0), ['ready'], 'readiness stays ready across an index reset');
  row.note = `index ${before} -> 2; a new service listed in ${(newServiceMs / 1000).toFixed(2)} s`;
}, { timeout: 40_000 });

faultScenario('leader loss (500 No cluster leader on every query for 10 s): no RPC fails, degraded then ready', 'leader-loss', async (s, row) => {
  const t0 = Date.now();
  await env.agent.faults({ Error: { Kind: 'NoLeader' } });
  // Wake the service's blocking query so its next query meets the error now, not when its wait runs out.
  await devControl.touch(env.agent, s.name);
  await s.readiness.until('degraded', { since: t0, timeout: WAIT_MS + 3000 });
  await delay(Math.max(0, t0 + 10_000 - Date.now()));
  await devControl.clearFaults(env.agent);
  const end = Date.now();
  assertWindow(s, t0, end, 'while Consul has no leader', { minimum: 100 });

  row.readyMs = (await s.readiness.until('ready', { since: end, timeout: 10_000 })) - end;
  row.followMs = await followDeregistration(s);
}, { timeout: 50_000 });

faultScenario('429s (the connection limiter\'s, then RPC rate limiting): no RPC fails, degraded then ready', 'rate-limits', async (s, row) => {
  const ready = [];
  for (const kind of ['TooManyConnections', 'RpcRateLimit']) {
    const t0 = Date.now();
    await env.agent.faults({ Error: { Kind: kind } });
    await devControl.touch(env.agent, s.name);
    await s.readiness.until('degraded', { since: t0, timeout: WAIT_MS + 3000 });
    await delay(Math.max(0, t0 + 5000 - Date.now()));
    await devControl.clearFaults(env.agent);
    const end = Date.now();
    assertWindow(s, t0, end, `while Consul answers ${kind} 429s`, { minimum: 50 });
    const at = await s.readiness.until('ready', { since: end, timeout: 10_000 });
    ready.push(`${kind} ${((at - end) / 1000).toFixed(2)} s`);
    row.readyMs = Math.max(row.readyMs ?? 0, at - end);
  }
  row.followMs = await followDeregistration(s);
  row.note = `ready again: ${ready.join(', ')}`;
}, { timeout: 50_000 });

faultScenario('answers arriving just before the wait runs out: changes still propagate, no RPC fails', 'late-answers', async (s, row) => {
  const errorsBefore = await consulErrors(env.bridge);
  const lateBefore = (await devControl.faultCounters(env.agent)).LateAnswers;
  const t0 = Date.now();
  // The worst case Consul allows: wait + wait/16 (its jitter), less 10 ms.
  await env.agent.faults({ LateAnswer: { Epsilon: '10ms', IncludeJitter: true } });
  // End the service's current (on-time) blocking query, so the next one is answered late.
  await devControl.touch(env.agent, s.name);
  await delay(200);
  row.followMs = await followDeregistration(s, { timeout: 20_000 });
  const latest = WAIT_MS + WAIT_MS / 16;
  assert.ok(row.followMs <= latest + 2000, `a change under late answers reached the traffic in ${row.followMs} ms (answers come at most ${latest} ms after the query)`);
  await devControl.clearFaults(env.agent);
  const end = Date.now();

  const lateAfter = (await devControl.faultCounters(env.agent)).LateAnswers;
  assert.ok(lateAfter > lateBefore, `the agent really answered late (${lateBefore} -> ${lateAfter})`);
  assert.equal(await consulErrors(env.bridge) - errorsBefore, 0, 'an answer just before the wait runs out is an answer, never a timeout');
  assert.deepEqual(s.readiness.seen(t0, end), ['ready'], 'readiness stays ready when answers come late');
  const tally = s.traffic.tally(t0, end);
  assert.equal(tally.failures, 0, `no RPC may fail while answers come late: ${tally}`);
  row.note = `late answers ${lateBefore} -> ${lateAfter}`;
}, { timeout: 40_000 });

faultScenario('bridge restarted while Consul is down serves its state file (stale): no RPC fails, then ready and following', 'restart-down', async (s, row) => {
  const t0 = Date.now();
  await env.bridge.stop();
  const saved = JSON.parse(fs.readFileSync(statePath, 'utf8'));
  assert.ok(JSON.stringify(saved).includes(`"${s.name}-2"`), `the state file written at shutdown holds ${s.name}'s instances`);

  await env.agent.faults({ Down: {} });
  await env.bridge.launch();
  const up = Date.now();
  await waitFor(`${s.name}-client to reconnect to the restarted bridge`, () => env.bridge.connectedNodes(),
    (nodes) => nodes.includes(`${s.name}-client`), { timeout: 30_000, interval: 200 });
  await s.readiness.until('stale', { since: up, timeout: 10_000 });
  // The restarted bridge must answer the client from the state file: endpoints included, ACKed.
  await waitFor(`${s.name}-client to ACK what the restarted bridge sent from its state file`, () => env.bridge.admin('/debug/clients'),
    ({ body }) => body.filter((c) => c.nodeId === `${s.name}-client`)
      .some((c) => c.types.length === 4 && c.types.every((ty) => ty.ackedVersion && ty.ackedVersion === ty.sentVersion)),
    { timeout: 10_000, interval: 200 });
  const ready = await env.bridge.admin('/readyz');
  assert.equal(ready.body.status, 'stale', `/readyz: ${JSON.stringify(ready.body)}`);
  assert.equal(ready.status, 503, 'without Consul the bridge serves its saved state but is not ready for a load balancer');
  await assertServedValid(s, 'stale');
  assert.ok(ready.body.instances >= 2, `the stale catalog has instances: ${JSON.stringify(ready.body)}`);
  // An application starting now, while Consul is still down, gets the saved endpoints too.
  const fresh = clients.client(s.name, { nodeId: `${s.name}-fresh-client` });
  try {
    const first = await waitFor(`a new client to reach ${s.name} from the stale catalog`, () => runBatch(fresh, 20),
      (t) => t.failures === 0 && t.backends.length === 2, { timeout: 20_000 });
    assert.deepEqual(first.backends, [`${s.name}-1`, `${s.name}-2`]);
  } finally {
    fresh.close();
  }
  await s.traffic.flow(100);

  await devControl.clearFaults(env.agent);
  const end = Date.now();
  assertWindow(s, t0, end, 'while the bridge restarts with Consul down', { minimum: 100 });
  assert.ok(!s.readiness.seen(up, end).includes('ready'), `never ready before Consul answers: ${s.readiness.seen(up, end)}`);

  row.readyMs = (await s.readiness.until('ready', { since: end, timeout: 15_000 })) - end;
  row.followMs = await followDeregistration(s);
  row.note = `stale from restart, ${s.traffic.tally(t0, end).total} RPCs with Consul down`;
}, { timeout: 80_000 });

/**
 * Sends each body fault in turn for the next `Count` /v1 JSON answers (6 unless given), whichever queries get
 * them: waking the service's watch (and the service list's, whose index a touch moves too) spends them at once,
 * then on their retries. Each must show as a `degraded` spell, never as a lost endpoint: as failed queries when
 * the answer cannot be read at all, or (`readEntryByEntry`: valid JSON whose entries have the wrong types) as
 * instances kept at their last state, since a health answer is read entry by entry.
 */
async function sendBodyFaults(s, row, t, faults) {
  const marks = [];
  for (const { readEntryByEntry, ...fault } of faults) {
    const errorsBefore = await consulErrors(env.bridge);
    const t0 = Date.now();
    const count = fault.Count ?? 6;
    await env.agent.faults({ Body: { Count: count, ...fault } });
    await devControl.touch(env.agent, s.name);
    await waitFor(`the ${count} ${fault.Kind} answers to be sent`, () => devControl.faultsInForce(env.agent), (f) => !f.Body,
      { timeout: 20_000, interval: 50 });
    const errors = readEntryByEntry
      ? await consulErrors(env.bridge) - errorsBefore
      : await waitFor(`the bridge to count the ${fault.Kind} answers as failed queries`, async () => (await consulErrors(env.bridge)) - errorsBefore,
        (n) => n >= count, { timeout: 5000 });
    const readyAt = await s.readiness.until('ready', { since: Date.now(), timeout: 10_000 });
    const end = Date.now();
    await s.traffic.flow(20);
    const seen = s.readiness.seen(t0, end);
    if (process.env.FAULTS_DEBUG) for (const line of env.bridge.proc.tail(40)) t.diagnostic(line);
    t.diagnostic(`${fault.Kind}: ${errors} failed queries, readyz ${seen.join(' -> ')}, ${s.traffic.tally(t0, Date.now()).total} RPCs`);
    assertWindow(s, t0, Date.now(), `while Consul sends ${fault.Kind} answers`);
    assert.ok(seen.includes('degraded'), `readiness says degraded while queries fail with ${fault.Kind} answers: ${seen}`);
    marks.push(`${fault.Kind} ${((readyAt - t0) / 1000).toFixed(1)} s`);
    row.readyMs = Math.max(row.readyMs ?? 0, readyAt - t0);
  }
  return marks;
}

/** Asserts that the bridge still holds both of the scenario's instances. */
async function assertBothHeld(s) {
  const catalog = (await env.bridge.admin('/debug/catalog')).body;
  const instances = catalog.services.find((x) => x.name === s.name)?.instances.map((i) => i.serviceId).sort();
  assert.deepEqual(instances, [`${s.name}-1`, `${s.name}-2`], 'the bridge still holds both instances');
}

faultScenario('malformed answers (truncated, garbage, wrong types, cut mid-body, oversized): no RPC fails, no endpoint withdrawn', 'malformed', async (s, row, t) => {
  const marks = await sendBodyFaults(s, row, t, [
    { Kind: 'Truncated' },
    { Kind: 'Garbage' },
    { Kind: 'WrongTypes', readEntryByEntry: true },
    // Gzipped (the bridge asks for gzip, the agent, like Consul, obliges), this arrives as a complete stream
    // of half the JSON: see the uncompressed scenario below for a real cut.
    { Kind: 'DropMidBody' },
    // Over the bridge's 64 MiB Consul:MaxResponseBytes: refused. Gzipped, it has no Content-Length, so the
    // bridge only finds out after inflating 64 MiB, a second or more each: four of these are plenty.
    { Kind: 'Oversized', SizeBytes: 80 * 1024 * 1024, Count: 4 },
  ]);

  // Big but valid and under the limit: an answer like any other, no failure at all.
  const errorsBefore = await consulErrors(env.bridge);
  await env.agent.faults({ Body: { Kind: 'Oversized', SizeBytes: 16 * 1024 * 1024, Count: 2, PathPrefix: `/v1/health/service/${s.name}` } });
  await devControl.touch(env.agent, s.name);
  await waitFor('the two 16 MiB answers to be sent', () => devControl.faultsInForce(env.agent), (f) => !f.Body, { timeout: 2 * WAIT_MS + 5000, interval: 100 });
  assert.equal(await consulErrors(env.bridge) - errorsBefore, 0, 'a 16 MiB answer (under Consul:MaxResponseBytes) is taken');

  await assertBothHeld(s);
  row.followMs = await followDeregistration(s);
  row.note = `time to ready from fault start: ${marks.join(', ')}`;
}, { timeout: 90_000 });

/**
 * Points the bridge at a relay in front of the agent (see startRelay) for the duration of a scenario: same
 * process arguments but `Consul:Address`, same ADS port (so the suite's clients need nothing new), same state
 * file. The teardown puts the bridge back on the agent itself, relaunching it whatever became of it.
 */
function bridgeThroughRelay(options) {
  return async () => {
    relay = await startRelay(env.agent.url, options);
    const direct = env.bridge.proc.args;
    await env.bridge.stop();
    env.bridge.proc.args = direct.map((a) => (a.startsWith('--Consul:Address=') ? `--Consul:Address=${relay.url}` : a));
    await env.bridge.launch();
    return async () => {
      await env.bridge.stop();
      env.bridge.proc.args = direct;
      await relay.close();
      relay = undefined;
      await env.bridge.launch();
    };
  };
}

faultScenario('malformed answers, uncompressed: a connection cut mid-body and a declared oversized length lose no endpoint', 'malformed-plain', async (s, row, t) => {
  const marks = await sendBodyFaults(s, row, t, [
    { Kind: 'DropMidBody' },
    { Kind: 'Oversized', SizeBytes: 80 * 1024 * 1024 },
  ]);
  await assertBothHeld(s);
  row.followMs = await followDeregistration(s);
  row.note = `through a relay without gzip; ready from fault start: ${marks.join(', ')}`;
}, { timeout: 60_000, setup: bridgeThroughRelay({ plain: true }) });

/** Waits until the relay has damaged `count` answers whose path starts with `prefix`. */
function relayCorrupted(count, prefix) {
  return waitFor(`${count} corrupt gzip answers to ${prefix}`, async () => relay.corrupted.filter((p) => p.startsWith(prefix)).length,
    (n) => n >= count, { timeout: WAIT_MS + 5000, interval: 50 });
}

faultScenario('a gzip body that does not inflate is a failed query like any other: the bridge keeps watching and keeps running', 'corrupt-gzip', async (s, row, t) => {
  const problems = [];
  // A service's own answers, three times: the watch must retry and then follow the next change.
  const t0 = Date.now();
  relay.corruptGzip(3, `/v1/health/service/${s.name}`);
  await devControl.touch(env.agent, s.name);
  await relayCorrupted(1, `/v1/health/service/${s.name}`);
  await delay(3000);
  try {
    row.followMs = await followDeregistration(s, { timeout: 8000 });
  } catch (e) {
    problems.push(`after corrupt gzip answers to /v1/health/service/${s.name}, the service's next change was not followed (${e.message.split(';')[0]}); ` +
      `${relay.corrupted.length} answers corrupted, readyz said ${s.readiness.seen(t0).join(' -> ')}`);
  }

  // The service list's answers: the bridge must stay up and keep following.
  const t1 = Date.now();
  relay.corruptGzip(3, '/v1/catalog/services');
  await devControl.touch(env.agent, s.name);
  await relayCorrupted(1, '/v1/catalog/services');
  await delay(3000);
  if (!env.bridge.proc.running) {
    const exit = env.bridge.proc.lines.filter((l) => l.includes(' exit #')).at(-1) ?? '';
    const cause = env.bridge.proc.lines.find((l) => l.includes('BackgroundService') || l.includes('InvalidDataException')) ?? '';
    problems.push(`after corrupt gzip answers to /v1/catalog/services the bridge exited (${exit.replace(/.*exit/, 'exit')}): ${cause.slice(0, 300)}`);
  } else {
    assert.ok(s.readiness.seen(t1).includes('ready'), `readiness: ${s.readiness.seen(t1)}`);
  }
  for (const p of problems) t.diagnostic(p);
  row.note = problems.length ? `${problems.length} problem(s), see diagnostics` : 'retried like any bad answer';
  assert.deepEqual(problems, [], 'a body that does not inflate must be handled as a failed query');
}, {
  timeout: 60_000,
  setup: bridgeThroughRelay({ plain: false }),
});

test('summary (TAP diagnostics)', (t) => {
  for (const line of summary.lines()) t.diagnostic(line);
});
