// The scenarios every proxyless client suite runs (grpc-js-xds, gRPC C-core), written once. A suite declares
// them with `declareClientScenarios(scenario, suite)`, where `scenario(title, fn)` is its own way of running
// one (with its own checks around it) and `suite` hands over:
//
//   env              the agent and the bridge (lib/suite.mjs)
//   startBackends    (names) => backends of the suite's kind, each { name, port }, answering with their name
//   shared           an application that calls every service through one xDS client
//   app(nodeId)      an application under a node id of its own (its own ADS stream)
//   assertAccepted   (type, names) => asserts that the client accepted those resources, as it can tell
//
// An application's `channel(service)` is a client of xds:///<service> with `service`, `batch(count, options)`
// resolving to a Tally, and `startTraffic(options)` resolving to { read(), stop() }, each resolving to a Tally.
// Every assertion is on RPC outcomes: which backend answered, or which status code came back. Each scenario
// uses its own services, so none depends on another's leftovers.
import assert from 'node:assert/strict';
import { HEAVY_OF_400, assertServedBy, waitForBackends } from './expect.mjs';
import { waitFor } from './wait.mjs';

/** Runs traffic on `client` through `change`, and asserts that not one RPC of it failed. */
async function withSteadyTraffic(client, change) {
  const traffic = await client.startTraffic();
  let during;
  try {
    await change();
  } finally {
    during = await traffic.stop();
  }
  assert.equal(during.failures, 0, `other instances stayed healthy, so no RPC to ${client.service} may fail meanwhile: ${during}`);
  assert.ok(during.total >= 20, `RPCs kept flowing meanwhile: ${during}`);
}

async function spread({ env, startBackends, shared }) {
  const backends = await startBackends(['spread-1', 'spread-2', 'spread-3']);
  await env.register('spread', backends);
  const client = shared.channel('spread');
  await waitForBackends(client, ['spread-1', 'spread-2', 'spread-3']);
  const tally = await assertServedBy(client, ['spread-1', 'spread-2', 'spread-3'], 90);
  for (const b of backends) {
    // Round robin over three equal instances: 30 each; anything far off means an instance is not in the set.
    assert.ok(tally.count(b.name) >= 15, `${b.name} got a fair share of 90 RPCs: ${tally}`);
  }
}

async function portTarget({ shared }) {
  const client = shared.channel('spread:50051');
  await waitForBackends(client, ['spread-1', 'spread-2', 'spread-3']);
  await assertServedBy(client, ['spread-1', 'spread-2', 'spread-3']);
}

async function clusterOptions({ env, startBackends, shared, assertAccepted }) {
  // least_request and maglev are Envoy-only (gRPC clients NACK them), and ring_hash gives gRPC clients nothing
  // without a hash policy while it crashes C-core 1.51: the bridge sends round_robin for all three. Outlier
  // detection gRPC clients take as it is.
  const options = {
    'opts-lr': { protocol: 'grpc', lb_policy: 'least_request', connect_timeout: '250ms', outlier_consecutive_5xx: '5', outlier_interval: '10s', outlier_base_ejection_time: '30s', outlier_max_ejection_percent: '50' },
    'opts-mg': { lb_policy: 'maglev' },
    'opts-rh': { lb_policy: 'ring_hash', protocol: 'http2' },
  };
  for (const [service, meta] of Object.entries(options)) {
    const backends = await startBackends([`${service}-1`, `${service}-2`]);
    for (const b of backends) await env.agent.register({ id: b.name, name: service, port: b.port, meta });
    await waitForBackends(shared.channel(service), [`${service}-1`, `${service}-2`]);
  }
  await assertAccepted('Cluster', Object.keys(options));
}

async function deregistration({ env, startBackends, app }) {
  const backends = await startBackends(['dereg-1', 'dereg-2', 'dereg-3']);
  await env.register('dereg', backends);
  const client = (await app('dereg-client')).channel('dereg');
  await waitForBackends(client, ['dereg-1', 'dereg-2', 'dereg-3']);
  await withSteadyTraffic(client, async () => {
    await env.agent.deregister('dereg-3');
    await waitForBackends(client, ['dereg-1', 'dereg-2']);
    await assertServedBy(client, ['dereg-1', 'dereg-2']);
    await env.register('dereg', [backends[2]]);
    await waitForBackends(client, ['dereg-1', 'dereg-2', 'dereg-3']);
    await assertServedBy(client, ['dereg-1', 'dereg-2', 'dereg-3']);
  });
}

async function criticalCheck({ env, startBackends, shared }) {
  const backends = await startBackends(['check-1', 'check-2']);
  await env.register('checks', backends);
  const client = shared.channel('checks');
  await waitForBackends(client, ['check-1', 'check-2']);
  await withSteadyTraffic(client, async () => {
    await env.agent.check('check-2', 'fail');
    await waitForBackends(client, ['check-1']);
    await assertServedBy(client, ['check-1']);
    await env.agent.check('check-2', 'pass');
    await waitForBackends(client, ['check-1', 'check-2']);
    await assertServedBy(client, ['check-1', 'check-2']);
  });
}

async function maintenance({ env, startBackends, app }) {
  const backends = await startBackends(['maint-1', 'maint-2']);
  await env.register('maint', backends);
  const client = (await app('maint-client')).channel('maint');
  await waitForBackends(client, ['maint-1', 'maint-2']);
  await withSteadyTraffic(client, async () => {
    await env.agent.maintenance('maint-2', true, 'conformance: draining');
    await waitForBackends(client, ['maint-1']);
    await assertServedBy(client, ['maint-1']);
    await env.agent.maintenance('maint-2', false);
    await waitForBackends(client, ['maint-1', 'maint-2']);
    await assertServedBy(client, ['maint-1', 'maint-2']);
  });
}

async function weights({ env, startBackends, app }) {
  const [heavy, light] = await startBackends(['weight-3', 'weight-1']);
  await env.agent.register({ id: heavy.name, name: 'weighted', port: heavy.port, weights: { passing: 3, warning: 1 } });
  await env.agent.register({ id: light.name, name: 'weighted', port: light.port, weights: { passing: 1, warning: 1 } });
  const client = (await app('weights-client')).channel('weighted');
  await waitForBackends(client, ['weight-1', 'weight-3']);

  const tally = await client.batch(400);
  assert.equal(tally.failures, 0, `${tally}`);
  const n = tally.count('weight-3');
  assert.ok(n >= HEAVY_OF_400[0] && n <= HEAVY_OF_400[1], `weight-3 should get about 300 of 400 RPCs (3:1), got ${n}: ${tally}`);
}

async function warningWeight({ env, startBackends, shared }) {
  const [warned, steady] = await startBackends(['warn-1', 'warn-2']);
  await env.agent.register({ id: warned.name, name: 'warned', port: warned.port, weights: { passing: 1, warning: 3 } });
  await env.agent.register({ id: steady.name, name: 'warned', port: steady.port, weights: { passing: 1, warning: 1 } });
  const client = shared.channel('warned');
  await waitForBackends(client, ['warn-1', 'warn-2']);
  const even = await client.batch(200);
  assert.equal(even.failures, 0, `${even}`);
  assert.ok(Math.abs(even.count('warn-1') - 100) <= 30, `both passing at weight 1: an even split, got ${even}`);

  await env.agent.check('warn-1', 'warn');
  await waitFor('warn-1 to take about 3/4 of the traffic', () => client.batch(100),
    (t) => t.failures === 0 && t.count('warn-1') >= 60);
  const tally = await client.batch(400);
  assert.equal(tally.failures, 0, `${tally}`);
  const n = tally.count('warn-1');
  assert.ok(n >= HEAVY_OF_400[0] && n <= HEAVY_OF_400[1], `warn-1 (Warning weight 3) should get about 300 of 400 RPCs, got ${n}: ${tally}`);
}

async function noHealthyInstance({ env, startBackends, app }) {
  const [down, up] = await startBackends(['empty-down', 'empty-up']);
  await env.agent.register({ id: down.name, name: 'empty', port: down.port, status: 'critical' });
  const client = (await app('empty-client')).channel('empty');
  await waitFor('RPCs to a service without healthy instances to fail UNAVAILABLE', () => client.batch(5, { deadlineMs: 2000 }),
    (t) => t.allFailedWith('UNAVAILABLE'));

  await env.agent.register({ id: up.name, name: 'empty', port: up.port });
  await waitForBackends(client, ['empty-up']);
  await assertServedBy(client, ['empty-up']);
}

/** The services of the many-services scenario, for suites that check what their client accepted. */
export const MANY = ['many-1', 'many-2', 'many-3', 'many-4', 'many-5', 'many-6'];

async function manyServices({ env, startBackends, shared }) {
  const backends = {};
  for (const service of MANY) {
    backends[service] = await startBackends([`${service}-a`, `${service}-b`]);
    await env.register(service, backends[service]);
  }
  // All through one xDS client: one ADS stream carries every service's resources.
  const channels = MANY.map((s) => shared.channel(s));
  for (const c of channels) await waitForBackends(c, [`${c.service}-a`, `${c.service}-b`]);

  const [changing, ...others] = channels;
  const traffic = await Promise.all(others.map((c) => c.startTraffic({ concurrency: 2 })));
  let tallies;
  try {
    await env.agent.deregister('many-1-b');
    await waitForBackends(changing, ['many-1-a']);
    await env.agent.check('many-1-a', 'fail');
    await waitFor('many-1 to have no instance left', () => changing.batch(5, { deadlineMs: 2000 }), (t) => t.allFailedWith('UNAVAILABLE'));
    await env.agent.register({ id: 'many-1-b', name: 'many-1', port: backends['many-1'][1].port, meta: { connect_timeout: '2s' } });
    await waitForBackends(changing, ['many-1-b']);
    await env.agent.check('many-1-a', 'pass');
    await waitForBackends(changing, ['many-1-a', 'many-1-b']);
  } finally {
    tallies = await Promise.all(traffic.map((t) => t.stop()));
  }
  others.forEach((c, i) => {
    const tally = tallies[i];
    assert.equal(tally.failures, 0, `no ${c.service} RPC may fail while many-1 changes: ${tally}`);
    assert.deepEqual(tally.backends, [`${c.service}-a`, `${c.service}-b`], `${c.service} RPCs go to its own instances only: ${tally}`);
    for (const name of tally.backends) {
      const share = tally.count(name) / tally.total;
      assert.ok(share > 0.3 && share < 0.7, `${c.service}'s split stays even while many-1 changes (${name}: ${share.toFixed(2)}): ${tally}`);
    }
  });
}

async function bridgeRestart({ env, startBackends, app }) {
  const backends = await startBackends(['steady-1', 'steady-2', 'steady-3']);
  await env.register('steady', backends);
  const client = (await app('restart-client')).channel('steady');
  await waitForBackends(client, ['steady-1', 'steady-2', 'steady-3']);

  const traffic = await client.startTraffic({ concurrency: 4, deadlineMs: 5000 });
  let tally;
  let beforeRestart;
  try {
    beforeRestart = (await waitFor('traffic to flow', () => traffic.read(), (t) => t.total >= 50)).total;
    try {
      // Consul fails every read of `steady` for now, so the restarted bridge cannot complete its first sync. It
      // must hold its answers until then: anything it said from a partial catalog (a Listener set without
      // `steady`) would make the client drop the service and fail RPCs.
      await env.agent.faults({ Error: { Kind: 'NoLeader', PathPrefix: '/v1/health/service/steady' } });
      await env.bridge.crashAndRestart();
      await waitFor('the client to reconnect to the restarted bridge', () => env.bridge.connectedNodes(),
        (nodes) => nodes.includes('restart-client'), { timeout: 30_000, interval: 200 });
      const reconnectedAt = (await traffic.read()).total;
      await waitFor('RPCs to keep flowing while the bridge waits for Consul', () => traffic.read(), (t) => t.total >= reconnectedAt + 40);
    } finally {
      await env.agent.faults({});
    }

    // The client must get updates from the restarted bridge: a change made now has to reach it.
    await env.agent.deregister('steady-3');
    await waitForBackends(client, ['steady-1', 'steady-2'], { timeout: 30_000 });
    await env.register('steady', [backends[2]]);
    await waitForBackends(client, ['steady-1', 'steady-2', 'steady-3']);
  } finally {
    tally = await traffic.stop();
  }
  assert.ok(tally.total - beforeRestart >= 50, `RPCs kept flowing across the restart: ${tally}`);
  assert.equal(tally.failures, 0, `no RPC may fail across a bridge restart: ${tally}`);
}

async function scaleToZero({ env, startBackends, app }) {
  // A service that loses its last instance keeps its Listener, route and Cluster for gRPC clients, with an
  // empty assignment: RPCs fail UNAVAILABLE until an instance is back, and the live channel then follows it.
  const [backend] = await startBackends(['phoenix-1']);
  await env.register('phoenix', [backend]);
  const client = (await app('phoenix-client')).channel('phoenix');
  await waitForBackends(client, ['phoenix-1']);
  await env.agent.deregister('phoenix-1');
  await waitFor('RPCs to phoenix to fail UNAVAILABLE once it has no instance', () => client.batch(5, { deadlineMs: 1000 }),
    (t) => t.allFailedWith('UNAVAILABLE'));
  await env.register('phoenix', [backend]);
  await waitForBackends(client, ['phoenix-1']);
  await assertServedBy(client, ['phoenix-1']);
}

/** Declares the shared scenarios, in this order, each through the suite's `scenario(title, fn)`. */
export function declareClientScenarios(scenario, suite) {
  const scenarios = [
    ['traffic reaches every healthy instance', spread],
    ['a target with a port (xds:///service:port) reaches the same instances', portTarget],
    ['cluster options from service meta are all accepted, none making the client NACK or crash', clusterOptions],
    ['deregistration moves traffic away, and re-registration brings it back, failing no RPC', deregistration],
    ['a critical check moves traffic away; passing again brings it back, failing no RPC', criticalCheck],
    ['maintenance mode moves traffic away; disabling it brings it back, failing no RPC', maintenance],
    ['Consul weights shape the split (Passing 3 vs 1 gives about 3:1)', weights],
    ['a warning instance keeps serving, at its Warning weight', warningWeight],
    ['a service with no healthy instance fails UNAVAILABLE, and is reachable once one registers', noHealthyInstance],
    ['many services on one client stay independent', manyServices],
    ['a bridge killed (SIGKILL) and restarted under traffic fails no RPC', bridgeRestart],
    ['a service scaled to zero and back is reachable again on a live channel', scaleToZero],
  ];
  for (const [title, run] of scenarios) scenario(title, () => run(suite));
}
