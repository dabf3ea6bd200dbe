// Real proxyless gRPC clients (@grpc/grpc-js-xds 1.14.1) resolving xds:///<service> through the bridge,
// against the dev agent, making real RPCs to real backends. Every assertion is on RPC outcomes: which
// backend answered, or which status code came back. Scenarios share one agent and one bridge and run in
// order; each uses its own services so that none depends on another's leftovers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClientFactory, bootstrap, runBatch, startTraffic } from '../lib/clients.mjs';
import { startCsds } from '../lib/csds.mjs';
import { TYPE, envoyNode, grpcNode } from '../lib/ads-client.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';
import { snapshot } from '../lib/xds-snapshot.mjs';

const libDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../lib');
let clients;
let csds;
let ghost;

const env = useBridge({
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
    csds = await startCsds();
    env.onCleanup(() => csds.close());
    // A client of a service nobody has registered yet, resolving from the start: grpc-js-xds only reports a
    // missing Listener once its 15 s does-not-exist timer fires, and this lets that run during the other
    // scenarios (its own comes last).
    ghost = clients.client('ghost');
    ghost.getChannel().getConnectivityState(true);
  },
});

/** Runs a Node script to its end; resolves to its exit status and output. */
function runNode(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr }));
  });
}

/** Waits until a batch of RPCs is served by exactly `expected` backends, without failures. */
function waitForBackends(client, expected, { batch = 30, timeout = 20_000 } = {}) {
  const want = [...expected].sort();
  return waitFor(`${client.service} to be served by exactly ${want.join(', ')}`,
    () => runBatch(client, batch),
    (t) => t.failures === 0 && JSON.stringify(t.backends) === JSON.stringify(want),
    { timeout });
}

/** Asserts that `count` RPCs all succeed, every one of `expected` serves some, and nothing else does. */
async function assertServedBy(client, expected, count = 60) {
  const tally = await runBatch(client, count);
  assert.equal(tally.failures, 0, `no RPC to ${client.service} may fail: ${tally}`);
  assert.deepEqual(tally.backends, [...expected].sort(), `backends serving ${client.service}: ${tally}`);
  return tally;
}

env.scenario('traffic reaches every healthy instance', async () => {
  const backends = await env.startBackends(['spread-1', 'spread-2', 'spread-3']);
  await env.register('spread', backends);
  const client = clients.client('spread');
  await waitForBackends(client, ['spread-1', 'spread-2', 'spread-3']);
  const tally = await assertServedBy(client, ['spread-1', 'spread-2', 'spread-3'], 90);
  for (const b of backends) {
    // Round robin over three equal instances: 30 each; anything far off means an instance is not in the set.
    assert.ok(tally.count(b.name) >= 15, `${b.name} got a fair share of 90 RPCs: ${tally}`);
  }
});

env.scenario('a target with a port (xds:///service:port) reaches the same instances', async () => {
  const client = clients.client('spread:50051');
  await waitForBackends(client, ['spread-1', 'spread-2', 'spread-3']);
  await assertServedBy(client, ['spread-1', 'spread-2', 'spread-3']);
});

env.scenario('cluster options from service meta never make a gRPC client NACK', async () => {
  // least_request and maglev are Envoy-only (grpc-js NACKs them); ring_hash and outlier detection it takes.
  const options = {
    'opts-lr': { protocol: 'grpc', lb_policy: 'least_request', connect_timeout: '250ms', outlier_consecutive_5xx: '5', outlier_interval: '10s', outlier_base_ejection_time: '30s', outlier_max_ejection_percent: '50' },
    'opts-mg': { lb_policy: 'maglev' },
    'opts-rh': { lb_policy: 'ring_hash', protocol: 'http2' },
  };
  for (const [service, meta] of Object.entries(options)) {
    const backends = await env.startBackends([`${service}-1`, `${service}-2`]);
    for (const b of backends) await env.agent.register({ id: b.name, name: service, port: b.port, meta });
    const client = clients.client(service);
    // Ring hash with no hash policy picks a random hash per RPC, so it too spreads over both.
    await waitForBackends(client, [`${service}-1`, `${service}-2`]);
  }
  const clusters = (await csds.resources()).filter((r) => r.type === 'Cluster' && r.name in options);
  assert.deepEqual(clusters.map((r) => `${r.name}:${r.status}`).sort(), Object.keys(options).map((n) => `${n}:ACKED`), 'each cluster ACKED by grpc-js-xds');
});

env.scenario('an application whose service has outlier-detection meta keeps running past several intervals', async () => {
  const backends = await env.startBackends(['outlier-1', 'outlier-2']);
  const meta = { outlier_consecutive_5xx: '3', outlier_interval: '1s', outlier_base_ejection_time: '5s', outlier_max_ejection_percent: '50' };
  for (const b of backends) await env.agent.register({ id: b.name, name: 'outlier', port: b.port, meta });
  // Its own process: an uncaught exception inside grpc-js (e.g. in the ejection timer) ends a real application.
  // (Asynchronously: the backends live in this process and must keep answering.)
  const app = await runNode([path.join(libDir, 'rpc-app.mjs'), 'outlier', '4500'], {
    GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap({ adsAddress: env.bridge.adsAddress, nodeId: 'outlier-app' })),
  });
  assert.equal(app.status, 0, `the application must survive 4 outlier-detection intervals; it exited ${app.status} (${app.signal ?? 'no signal'}):\n${app.stderr}`);
  const tally = JSON.parse(app.stdout.trim().split('\n').at(-1));
  assert.ok(tally.total > 0 && !Object.keys(tally.by).some((k) => k.startsWith('ERR')), `its RPCs succeed: ${app.stdout}`);
  assert.deepEqual(Object.keys(tally.by).sort(), ['outlier-1', 'outlier-2'], `both instances serve it: ${app.stdout}`);
});

env.scenario('deregistration moves traffic away, and re-registration brings it back', async () => {
  const backends = await env.startBackends(['dereg-1', 'dereg-2', 'dereg-3']);
  await env.register('dereg', backends);
  const client = clients.client('dereg', { nodeId: 'dereg-client' });
  await waitForBackends(client, ['dereg-1', 'dereg-2', 'dereg-3']);

  const traffic = startTraffic(client);
  await env.agent.deregister('dereg-3');
  await waitForBackends(client, ['dereg-1', 'dereg-2']);
  await assertServedBy(client, ['dereg-1', 'dereg-2']);

  await env.register('dereg', [backends[2]]);
  await waitForBackends(client, ['dereg-1', 'dereg-2', 'dereg-3']);
  await assertServedBy(client, ['dereg-1', 'dereg-2', 'dereg-3']);
  const during = await traffic.stop();
  assert.equal(during.failures, 0, `the other instances stayed healthy, so no RPC may fail meanwhile: ${during}`);
});

env.scenario('a critical check moves traffic away; passing again brings it back', async () => {
  const backends = await env.startBackends(['check-1', 'check-2']);
  await env.register('checks', backends);
  const client = clients.client('checks');
  await waitForBackends(client, ['check-1', 'check-2']);

  await env.agent.check('check-2', 'fail');
  await waitForBackends(client, ['check-1']);
  await assertServedBy(client, ['check-1']);

  await env.agent.check('check-2', 'pass');
  await waitForBackends(client, ['check-1', 'check-2']);
  await assertServedBy(client, ['check-1', 'check-2']);
});

env.scenario('maintenance mode moves traffic away; disabling it brings it back', async () => {
  const backends = await env.startBackends(['maint-1', 'maint-2']);
  await env.register('maint', backends);
  const client = clients.client('maint', { nodeId: 'maint-client' });
  await waitForBackends(client, ['maint-1', 'maint-2']);

  await env.agent.maintenance('maint-2', true, 'conformance: draining');
  await waitForBackends(client, ['maint-1']);
  await assertServedBy(client, ['maint-1']);

  await env.agent.maintenance('maint-2', false);
  await waitForBackends(client, ['maint-1', 'maint-2']);
  await assertServedBy(client, ['maint-1', 'maint-2']);
});

// grpc-js picks a locality at random by weight, so with 3:1 the heavy instance's count of 400 RPCs is
// binomial(400, 0.75): mean 300, sd 8.7. [255, 345] is beyond 5 sd either way, and an even 1:1 split
// (200) is far outside it.
const HEAVY_OF_400 = [255, 345];

env.scenario('Consul weights shape the split (Passing 3 vs 1 gives about 3:1)', async () => {
  const [heavy, light] = await env.startBackends(['weight-3', 'weight-1']);
  await env.agent.register({ id: heavy.name, name: 'weighted', port: heavy.port, weights: { passing: 3, warning: 1 } });
  await env.agent.register({ id: light.name, name: 'weighted', port: light.port, weights: { passing: 1, warning: 1 } });
  const client = clients.client('weighted', { nodeId: 'weights-client' });
  await waitForBackends(client, ['weight-1', 'weight-3']);

  const tally = await runBatch(client, 400);
  assert.equal(tally.failures, 0, `${tally}`);
  const n = tally.count('weight-3');
  assert.ok(n >= HEAVY_OF_400[0] && n <= HEAVY_OF_400[1], `weight-3 should get about 300 of 400 RPCs (3:1), got ${n}: ${tally}`);
});

env.scenario('a warning instance keeps serving, at its Warning weight', async () => {
  const [warned, steady] = await env.startBackends(['warn-1', 'warn-2']);
  await env.agent.register({ id: warned.name, name: 'warned', port: warned.port, weights: { passing: 1, warning: 3 } });
  await env.agent.register({ id: steady.name, name: 'warned', port: steady.port, weights: { passing: 1, warning: 1 } });
  const client = clients.client('warned');
  await waitForBackends(client, ['warn-1', 'warn-2']);
  const even = await runBatch(client, 200);
  assert.equal(even.failures, 0, `${even}`);
  assert.ok(Math.abs(even.count('warn-1') - 100) <= 30, `both passing at weight 1: an even split, got ${even}`);

  await env.agent.check('warn-1', 'warn');
  await waitFor('warn-1 to take about 3/4 of the traffic', () => runBatch(client, 100),
    (t) => t.failures === 0 && t.count('warn-1') >= 60);
  const tally = await runBatch(client, 400);
  assert.equal(tally.failures, 0, `${tally}`);
  const n = tally.count('warn-1');
  assert.ok(n >= HEAVY_OF_400[0] && n <= HEAVY_OF_400[1], `warn-1 (Warning weight 3) should get about 300 of 400 RPCs, got ${n}: ${tally}`);
});

env.scenario('a service with no healthy instance fails UNAVAILABLE, and is reachable once one registers', async () => {
  const [down, up] = await env.startBackends(['empty-down', 'empty-up']);
  await env.agent.register({ id: down.name, name: 'empty', port: down.port, status: 'critical' });
  const client = clients.client('empty', { nodeId: 'empty-client' });
  await waitFor('RPCs to a service without healthy instances to fail UNAVAILABLE', () => runBatch(client, 5, { deadlineMs: 2000 }),
    (t) => t.allFailedWith('UNAVAILABLE'));

  await env.agent.register({ id: up.name, name: 'empty', port: up.port });
  await waitForBackends(client, ['empty-up']);
  await assertServedBy(client, ['empty-up']);
});

env.scenario('two services on one client stay independent', async () => {
  const alpha = await env.startBackends(['alpha-1', 'alpha-2']);
  const beta = await env.startBackends(['beta-1', 'beta-2']);
  await env.register('alpha', alpha);
  await env.register('beta', beta);
  // Both through the process-wide XdsClient: one ADS stream carries both services' resources.
  const alphaClient = clients.client('alpha');
  const betaClient = clients.client('beta');
  await waitForBackends(alphaClient, ['alpha-1', 'alpha-2']);
  await waitForBackends(betaClient, ['beta-1', 'beta-2']);

  const betaTraffic = startTraffic(betaClient);
  await env.agent.deregister('alpha-2');
  await waitForBackends(alphaClient, ['alpha-1']);
  await env.agent.check('alpha-1', 'fail');
  await waitFor('alpha to have no instance left', () => runBatch(alphaClient, 5, { deadlineMs: 2000 }), (t) => t.allFailedWith('UNAVAILABLE'));
  await env.agent.register({ id: 'alpha-2', name: 'alpha', port: alpha[1].port, meta: { connect_timeout: '2s' } });
  await waitForBackends(alphaClient, ['alpha-2']);
  await env.agent.check('alpha-1', 'pass');
  await waitForBackends(alphaClient, ['alpha-1', 'alpha-2']);
  const betaTally = await betaTraffic.stop();

  assert.equal(betaTally.failures, 0, `no beta RPC may fail while alpha changes: ${betaTally}`);
  assert.deepEqual(betaTally.backends, ['beta-1', 'beta-2'], `beta RPCs go to beta's instances only: ${betaTally}`);
  for (const name of ['beta-1', 'beta-2']) {
    const share = betaTally.count(name) / betaTally.total;
    assert.ok(share > 0.35 && share < 0.65, `beta's split stays even while alpha changes (${name}: ${share.toFixed(2)}): ${betaTally}`);
  }
});

env.scenario('a bridge restart fails no RPC that had a healthy backend', async () => {
  const backends = await env.startBackends(['steady-1', 'steady-2', 'steady-3']);
  await env.register('steady', backends);
  const client = clients.client('steady', { nodeId: 'restart-client' });
  await waitForBackends(client, ['steady-1', 'steady-2', 'steady-3']);

  const traffic = startTraffic(client, { concurrency: 4, deadlineMs: 5000 });
  await waitFor('traffic to flow', async () => traffic.tally.total, (n) => n >= 50);
  const beforeRestart = traffic.tally.total;
  try {
    // Consul fails every read of `steady` for now, so the restarted bridge cannot complete its first sync. It
    // must hold its answers until then: anything it said from a partial catalog (a Listener set without
    // `steady`) would make the client drop the service and fail RPCs.
    await env.agent.faults({ Error: { Kind: 'NoLeader', PathPrefix: '/v1/health/service/steady' } });
    await env.bridge.crashAndRestart();
    await waitFor('the client to reconnect to the restarted bridge', () => env.bridge.connectedNodes(),
      (nodes) => nodes.includes('restart-client'), { timeout: 30_000, interval: 200 });
    const reconnectedAt = traffic.tally.total;
    await waitFor('RPCs to keep flowing while the bridge waits for Consul', async () => traffic.tally.total, (n) => n >= reconnectedAt + 40);
  } finally {
    await env.agent.faults({});
  }

  // The client must get updates from the restarted bridge: a change made now has to reach it.
  await env.agent.deregister('steady-3');
  await waitForBackends(client, ['steady-1', 'steady-2'], { timeout: 30_000 });
  await env.register('steady', [backends[2]]);
  await waitForBackends(client, ['steady-1', 'steady-2', 'steady-3']);
  const tally = await traffic.stop();

  assert.ok(tally.total - beforeRestart >= 50, `RPCs kept flowing across the restart: ${tally}`);
  assert.equal(tally.failures, 0, `no RPC may fail across a bridge restart: ${tally}`);
});

// grpc-js-xds 1.14.1 ignores a re-sent Listener or Cluster whose content equals one it was told is gone
// (/work/shared/reference/grpc-js-xds.md, "re-adding a deleted resource"), and the bridge leaves a service
// with no instances out of its LDS and CDS answers. The bridge's bootstrap asks the client to ignore such
// deletions (ignore_resource_deletion), so the service's empty assignment fails RPCs until it is back.
env.scenario('a service scaled to zero and back is reachable again by a running client', async () => {
  const [backend] = await env.startBackends(['phoenix-1']);
  await env.register('phoenix', [backend]);
  const client = clients.client('phoenix', { nodeId: 'phoenix-client' });
  await waitForBackends(client, ['phoenix-1']);
  await env.agent.deregister('phoenix-1');
  await waitFor('RPCs to phoenix to fail UNAVAILABLE once it has no instance', () => runBatch(client, 5, { deadlineMs: 1000 }),
    (t) => t.allFailedWith('UNAVAILABLE'));
  await env.register('phoenix', [backend]);
  await waitForBackends(client, ['phoenix-1']);
  await assertServedBy(client, ['phoenix-1']);
});

env.scenario('a service that does not exist is not served, and is reachable once an instance registers', async () => {
  // grpc-js-xds gives up on a Listener the server never sends when its 15 s timer fires (CSDS then says
  // DOES_NOT_EXIST); its RPCs are not served. The bridge must still push the Listener once the service exists.
  await waitFor('grpc-js-xds to report Listener ghost as DOES_NOT_EXIST', () => csds.resources(),
    (rs) => rs.some((r) => r.type === 'Listener' && r.name === 'ghost' && r.status === 'DOES_NOT_EXIST'), { timeout: 30_000, interval: 500 });
  const before = await runBatch(ghost, 5, { deadlineMs: 1000 });
  assert.equal(before.failures, 5, `no RPC to an unknown service can succeed: ${before}`);

  const [backend] = await env.startBackends(['ghost-1']);
  await env.register('ghost', [backend]);
  await waitForBackends(ghost, ['ghost-1']);
  await assertServedBy(ghost, ['ghost-1']);
});

env.scenario('raw snapshots of everything the scenarios left (Envoy and gRPC, SotW and delta) pass Envoy\'s validation', async () => {
  // grpc-js-xds checks what it uses; Envoy's rules are stricter, and an Envoy node sees every service.
  const services = Object.keys(await env.agent.get('/v1/catalog/services'));
  for (const protocol of ['sotw', 'delta']) {
    const envoy = await snapshot(env.bridge.adsAddress, envoyNode(`leftovers-envoy-${protocol}`), { protocol });
    assert.ok(envoy.of(TYPE.cluster).has('phoenix') && envoy.of(TYPE.cluster).has('weighted'), `Envoy ${protocol}: the scenarios' services`);
    await snapshot(env.bridge.adsAddress, grpcNode(`leftovers-grpc-${protocol}`), { protocol, services: [...services, 'spread:50051'] });
  }
});

env.scenario('CSDS: grpc-js-xds reports every resource ACKED, none NACKED', async () => {
  const resources = await csds.resources();
  const nacked = resources.filter((r) => r.status === 'NACKED');
  assert.deepEqual(nacked, [], 'no resource may be NACKED');
  const notAcked = resources.filter((r) => r.status !== 'ACKED');
  assert.deepEqual(notAcked, [], 'every resource must be ACKED');

  // And CSDS covers what the scenarios used: all four types of every service, for each node that asked.
  const services = ['spread', 'opts-lr', 'opts-mg', 'opts-rh', 'dereg', 'checks', 'maint', 'weighted', 'warned', 'empty', 'ghost', 'alpha', 'beta', 'steady', 'phoenix'];
  const held = new Set(resources.map((r) => `${r.type}/${r.name}`));
  for (const s of services) {
    for (const type of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) {
      assert.ok(held.has(`${type}/${s}`), `CSDS lists ${type} ${s}: ${[...held].sort().join(' ')}`);
    }
  }
  assert.ok(held.has('Listener/spread:50051'), 'CSDS lists the Listener of the target with a port (its route is spread\'s)');
});
