// Real proxyless gRPC clients on gRPC C-core (Debian's python3-grpcio 1.51, C-core 29: the implementation
// behind C++, Python, Ruby and PHP) resolving xds:///<service> through the bridge, making real RPCs to real
// Python gRPC backends. The same scenarios as test/grpc-clients.test.mjs, against a second client that
// validates resources its own way. Every client logs its xDS client's work (GRPC_TRACE=xds_client), and any
// response C-core rejects fails the scenario in which it happened, with C-core's own words printed.
//
// Scenarios share one agent and one bridge and run in order; each uses its own services. A CCoreClient is
// one application process: one node id, one ADS stream for every service it calls.
import assert from 'node:assert/strict';
import net from 'node:net';
import { TYPE, pack, startScriptedAds } from '../lib/ads-client.mjs';
import { CCoreBackends, CCoreClient } from '../lib/ccore.mjs';
import { HEAVY_OF_400, assertServedBy, waitForBackends } from '../lib/expect.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

let backendHost;
let shared; // the application most scenarios use, node id ccore-shared
let scoped; // an application whose bootstrap lists the services it calls
const apps = [];
const rejections = []; // every rejection any C-core client logged, in order
let reported = 0; // how many of them a scenario has already failed on

const env = useBridge({
  async setup(env) {
    backendHost = await CCoreBackends.start();
    env.onCleanup(() => backendHost.close());
    env.onCleanup(() => Promise.all(apps.map((a) => a.close())));
    shared = await app('ccore-shared');

    // Started now, checked by their own scenarios near the end: C-core gives up on a resource the server never
    // sends after 15 s, and this lets that timer run while the other scenarios do.
    // A service nobody has registered yet, asked for from the start:
    await shared.batch('ghost', 1, { deadlineMs: 500 });
    // A node scoped to scoped-a and scoped-b, asking for scoped-c, which exists and is served to others:
    const [a, b, c] = await startBackends(['scoped-a-1', 'scoped-b-1', 'scoped-c-1']);
    await env.register('scoped-a', [a]);
    await env.register('scoped-b', [b]);
    await env.register('scoped-c', [c]);
    scoped = await app('ccore-scoped', { services: 'scoped-a,scoped-b' });
    await scoped.batch('scoped-c', 1, { deadlineMs: 500 });
  },
});

/** A C-core application under its own node id (own process, own xDS client, own ADS stream). */
async function app(nodeId, options = {}) {
  const client = await CCoreClient.start({ adsAddress: env.bridge.adsAddress, nodeId, rejections, ...options });
  apps.push(client);
  return client;
}

function startBackends(names, host) {
  return backendHost.startAll(names, host);
}

/**
 * A scenario that also fails if any C-core client rejected anything the bridge sent since the previous
 * scenario, or died, printing what C-core logged.
 */
function scenario(name, fn, options) {
  env.scenario(name, async (t) => {
    const deadBefore = new Set(apps.filter((a) => a.died));
    let failure;
    try {
      await fn(t);
    } catch (e) {
      failure = e;
    }
    const problems = rejections.slice(reported).map((lines) => lines.join('\n'));
    reported = rejections.length;
    if (problems.length > 0) problems.unshift(`C-core rejected what the bridge sent (${problems.length} log entries):`);
    for (const dead of apps.filter((a) => a.died && !deadBefore.has(a))) {
      problems.push(`C-core application ${dead.nodeId} ${dead.died}; its last output:`, ...dead.tail(15));
    }
    if (problems.length > 0) {
      throw new Error(problems.join('\n') + (failure ? `\nand the scenario itself failed: ${failure.stack}` : ''));
    }
    if (failure) throw failure;
  }, options);
}

/** Whether this machine can listen on ::1 (a container may have no IPv6 loopback). */
function ipv6Loopback() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

scenario('the suite sees a rejection: C-core NACKs an invalid Listener, and its log says so', async () => {
  // Not the bridge: a scripted ADS server answers with a Listener that has neither an API listener nor an
  // address. This proves that what the other scenarios take as "no NACK" would have shown one.
  const ads = await startScriptedAds((request) => (request.type_url === TYPE.listener && request.response_nonce === ''
    ? { version_info: '1', nonce: '1', type_url: TYPE.listener, resources: [pack(TYPE.listener, { name: 'broken' })] }
    : null));
  const seen = [];
  const probe = await CCoreClient.start({ adsAddress: ads.address, nodeId: 'ccore-probe', rejections: seen });
  try {
    const tally = await probe.batch('broken', 1, { deadlineMs: 2000 });
    assert.equal(tally.failures, 1, `an RPC through an invalid Listener fails: ${tally}`);
    await waitFor('the NACK to reach the server', async () => ads.requests,
      (requests) => requests.some((r) => r.type_url === TYPE.listener && r.response_nonce === '1' && r.error_detail));
    const logged = seen.map((lines) => lines.join('\n'));
    assert.ok(logged.some((l) => /will NACK/.test(l) && /Listener has neither address nor ApiListener/.test(l)), `C-core's NACK is caught from its log: ${logged.join('\n')}`);
  } finally {
    await probe.close();
    ads.close();
  }
});

scenario('traffic reaches every healthy instance', async () => {
  const backends = await startBackends(['spread-1', 'spread-2', 'spread-3']);
  await env.register('spread', backends);
  const client = shared.channel('spread');
  await waitForBackends(client, ['spread-1', 'spread-2', 'spread-3']);
  const tally = await assertServedBy(client, ['spread-1', 'spread-2', 'spread-3'], 90);
  for (const b of backends) {
    // Round robin over three equal instances: 30 each; anything far off means an instance is not in the set.
    assert.ok(tally.count(b.name) >= 15, `${b.name} got a fair share of 90 RPCs: ${tally}`);
  }
});

scenario('a target with a port (xds:///service:port) reaches the same instances', async () => {
  const client = shared.channel('spread:50051');
  await waitForBackends(client, ['spread-1', 'spread-2', 'spread-3']);
  await assertServedBy(client, ['spread-1', 'spread-2', 'spread-3']);
});

scenario('cluster options from service meta are all accepted by C-core, and none crashes it', async () => {
  // least_request and maglev are Envoy-only, and ring_hash crashes C-core 1.51 at its first pick: the bridge
  // sends gRPC clients round_robin for all three. Outlier detection C-core takes as it is.
  const options = {
    'opts-lr': { protocol: 'grpc', lb_policy: 'least_request', connect_timeout: '250ms', outlier_consecutive_5xx: '5', outlier_interval: '10s', outlier_base_ejection_time: '30s', outlier_max_ejection_percent: '50' },
    'opts-mg': { lb_policy: 'maglev' },
    'opts-rh': { lb_policy: 'ring_hash', protocol: 'http2' },
  };
  for (const [service, meta] of Object.entries(options)) {
    const backends = await startBackends([`${service}-1`, `${service}-2`]);
    for (const b of backends) await env.agent.register({ id: b.name, name: service, port: b.port, meta });
    await waitForBackends(shared.channel(service), [`${service}-1`, `${service}-2`]);
    assert.ok(shared.parsed.has(`Cluster/${service}`), `C-core parsed Cluster ${service}`);
  }
});

scenario('outlier detection from service meta runs in C-core, interval after interval, without failing an RPC', async () => {
  const backends = await startBackends(['outlier-1', 'outlier-2']);
  const meta = { outlier_consecutive_5xx: '3', outlier_interval: '1s', outlier_base_ejection_time: '5s', outlier_max_ejection_percent: '50' };
  for (const b of backends) await env.agent.register({ id: b.name, name: 'outlier', port: b.port, meta });
  const outlierApp = await app('ccore-outlier', { trace: ['outlier_detection_lb'] });
  const timerRuns = outlierApp.counter(/ejection timer running/);
  const client = outlierApp.channel('outlier');
  await waitForBackends(client, ['outlier-1', 'outlier-2']);
  const traffic = await client.startTraffic({ concurrency: 2 });
  // The ejection timer runs once an interval (1 s): four runs is four intervals of outlier detection at work.
  await waitFor('four runs of the ejection timer', async () => timerRuns(), (n) => n >= 4, { timeout: 15_000, interval: 200 });
  const tally = await traffic.stop();
  assert.equal(tally.failures, 0, `no RPC may fail: ${tally}`);
  assert.deepEqual(tally.backends, ['outlier-1', 'outlier-2'], `both instances serve, none ejected: ${tally}`);
});

/** Runs traffic on `client` through `change`, and asserts that not one RPC of it failed. */
async function withSteadyTraffic(client, change) {
  const traffic = await client.startTraffic();
  try {
    await change();
  } finally {
    const during = await traffic.stop();
    assert.equal(during.failures, 0, `other instances stayed healthy, so no RPC to ${client.service} may fail meanwhile: ${during}`);
    assert.ok(during.total >= 20, `RPCs kept flowing meanwhile: ${during}`);
  }
}

scenario('deregistration moves traffic away, and re-registration brings it back, failing no RPC', async () => {
  const backends = await startBackends(['dereg-1', 'dereg-2', 'dereg-3']);
  await env.register('dereg', backends);
  const client = (await app('ccore-dereg')).channel('dereg');
  await waitForBackends(client, ['dereg-1', 'dereg-2', 'dereg-3']);
  await withSteadyTraffic(client, async () => {
    await env.agent.deregister('dereg-3');
    await waitForBackends(client, ['dereg-1', 'dereg-2']);
    await assertServedBy(client, ['dereg-1', 'dereg-2']);
    await env.register('dereg', [backends[2]]);
    await waitForBackends(client, ['dereg-1', 'dereg-2', 'dereg-3']);
    await assertServedBy(client, ['dereg-1', 'dereg-2', 'dereg-3']);
  });
});

scenario('a critical check moves traffic away; passing again brings it back, failing no RPC', async () => {
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
});

scenario('maintenance mode moves traffic away; disabling it brings it back, failing no RPC', async () => {
  const backends = await startBackends(['maint-1', 'maint-2']);
  await env.register('maint', backends);
  const client = (await app('ccore-maint')).channel('maint');
  await waitForBackends(client, ['maint-1', 'maint-2']);
  await withSteadyTraffic(client, async () => {
    await env.agent.maintenance('maint-2', true, 'conformance: draining');
    await waitForBackends(client, ['maint-1']);
    await assertServedBy(client, ['maint-1']);
    await env.agent.maintenance('maint-2', false);
    await waitForBackends(client, ['maint-1', 'maint-2']);
    await assertServedBy(client, ['maint-1', 'maint-2']);
  });
});

scenario('Consul weights shape the split (Passing 3 vs 1 gives about 3:1)', async () => {
  const [heavy, light] = await startBackends(['weight-3', 'weight-1']);
  await env.agent.register({ id: heavy.name, name: 'weighted', port: heavy.port, weights: { passing: 3, warning: 1 } });
  await env.agent.register({ id: light.name, name: 'weighted', port: light.port, weights: { passing: 1, warning: 1 } });
  const client = (await app('ccore-weights')).channel('weighted');
  await waitForBackends(client, ['weight-1', 'weight-3']);

  const tally = await client.batch(400);
  assert.equal(tally.failures, 0, `${tally}`);
  const n = tally.count('weight-3');
  assert.ok(n >= HEAVY_OF_400[0] && n <= HEAVY_OF_400[1], `weight-3 should get about 300 of 400 RPCs (3:1), got ${n}: ${tally}`);
});

scenario('a warning instance keeps serving, at its Warning weight', async () => {
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
});

scenario('an address registered twice is served once, and C-core takes the assignment', async () => {
  // C-core rejects an assignment that lists an address twice, even across localities.
  const [backend] = await startBackends(['twice-1']);
  for (const zone of ['a', 'b']) {
    await env.agent.catalogRegister({ node: `twice-node-${zone}`, nodeMeta: { zone }, id: `twice-${zone}`, name: 'twice', port: backend.port });
  }
  const client = shared.channel('twice');
  await waitForBackends(client, ['twice-1']);
  await assertServedBy(client, ['twice-1']);
});

scenario('Consul weights as large as Consul takes, in three zones, never make C-core NACK', async () => {
  // Three localities of weight 2,000,000,000 add up past UINT32_MAX, which C-core (and grpc-js) refuse in one
  // priority: the bridge must scale them down together, keeping their ratios.
  const backends = await startBackends(['huge-a', 'huge-b', 'huge-c']);
  for (const [i, zone] of ['a', 'b', 'c'].entries()) {
    await env.agent.catalogRegister({ node: `huge-node-${zone}`, nodeMeta: { zone }, id: `huge-${zone}`, name: 'huge', port: backends[i].port, weights: { passing: 2_000_000_000, warning: 1 } });
  }
  // An application of its own, closed at the end, so that a rejection here stays this scenario's.
  const hugeApp = await app('ccore-huge');
  try {
    const client = hugeApp.channel('huge');
    const before = rejections.length;
    await waitFor('huge to be served by all three, or C-core to reject it', () => client.batch(30),
      (t) => rejections.length > before || (t.failures === 0 && t.backends.length === 3));
    const tally = await assertServedBy(client, ['huge-a', 'huge-b', 'huge-c'], 300);
    for (const b of backends) assert.ok(tally.count(b.name) >= 60, `equal weights share evenly: ${tally}`);
  } finally {
    await hugeApp.close();
  }
}, { todo: 'fixed by "Scale Consul weights down together when an assignment\'s weights would sum past UINT32_MAX" (branch validate)' });

scenario('a service with no healthy instance fails UNAVAILABLE, and is reachable once one registers', async () => {
  const [down, up] = await startBackends(['empty-down', 'empty-up']);
  await env.agent.register({ id: down.name, name: 'empty', port: down.port, status: 'critical' });
  const client = (await app('ccore-empty')).channel('empty');
  await waitFor('RPCs to a service without healthy instances to fail UNAVAILABLE', () => client.batch(5, { deadlineMs: 2000 }),
    (t) => t.allFailedWith('UNAVAILABLE'));

  await env.agent.register({ id: up.name, name: 'empty', port: up.port });
  await waitForBackends(client, ['empty-up']);
  await assertServedBy(client, ['empty-up']);
});

scenario('IPv6: instances registered at ::1 are reached, beside IPv4 ones', async (t) => {
  if (!(await ipv6Loopback())) {
    t.skip('this machine cannot listen on ::1');
    return;
  }
  const v6 = await startBackends(['v6-1', 'v6-2'], '::1');
  const [v4] = await startBackends(['v6-4']);
  for (const b of v6) await env.agent.register({ id: b.name, name: 'dual', address: '::1', port: b.port });
  await env.agent.register({ id: v4.name, name: 'dual', address: '127.0.0.1', port: v4.port });
  const client = shared.channel('dual');
  await waitForBackends(client, ['v6-1', 'v6-2', 'v6-4']);
  await assertServedBy(client, ['v6-1', 'v6-2', 'v6-4'], 90);

  await env.agent.deregister('v6-4');
  await waitForBackends(client, ['v6-1', 'v6-2']);
  await assertServedBy(client, ['v6-1', 'v6-2']);
});

scenario('many services on one client stay independent', async () => {
  const names = ['many-1', 'many-2', 'many-3', 'many-4', 'many-5', 'many-6'];
  const backends = {};
  for (const service of names) {
    backends[service] = await startBackends([`${service}-a`, `${service}-b`]);
    await env.register(service, backends[service]);
  }
  // One application, one ADS stream carrying all six services' resources.
  const many = await app('ccore-many');
  const channels = names.map((s) => many.channel(s));
  for (const c of channels) await waitForBackends(c, [`${c.service}-a`, `${c.service}-b`]);

  const [changing, ...others] = channels;
  const traffic = await Promise.all(others.map((c) => c.startTraffic({ concurrency: 2 })));
  await env.agent.deregister('many-1-b');
  await waitForBackends(changing, ['many-1-a']);
  await env.agent.check('many-1-a', 'fail');
  await waitFor('many-1 to have no instance left', () => changing.batch(5, { deadlineMs: 2000 }), (t) => t.allFailedWith('UNAVAILABLE'));
  await env.agent.register({ id: 'many-1-b', name: 'many-1', port: backends['many-1'][1].port, meta: { connect_timeout: '2s' } });
  await waitForBackends(changing, ['many-1-b']);
  await env.agent.check('many-1-a', 'pass');
  await waitForBackends(changing, ['many-1-a', 'many-1-b']);
  const tallies = await Promise.all(traffic.map((t) => t.stop()));

  others.forEach((c, i) => {
    const tally = tallies[i];
    assert.equal(tally.failures, 0, `no ${c.service} RPC may fail while many-1 changes: ${tally}`);
    assert.deepEqual(tally.backends, [`${c.service}-a`, `${c.service}-b`], `${c.service} RPCs go to its own instances only: ${tally}`);
  });
});

scenario('a bridge killed (SIGKILL) and restarted under traffic fails no RPC', async () => {
  const backends = await startBackends(['steady-1', 'steady-2', 'steady-3']);
  await env.register('steady', backends);
  const client = (await app('ccore-restart')).channel('steady');
  await waitForBackends(client, ['steady-1', 'steady-2', 'steady-3']);

  const traffic = await client.startTraffic({ concurrency: 4, deadlineMs: 5000 });
  let tally;
  try {
    await waitFor('traffic to flow', () => traffic.read(), (t) => t.total >= 50);
    const beforeRestart = (await traffic.read()).total;
    try {
      // Consul fails every read of `steady` for now, so the restarted bridge cannot complete its first sync. It
      // must hold its answers until then: anything it said from a partial catalog would make the client drop
      // the service and fail RPCs.
      await env.agent.faults({ Error: { Kind: 'NoLeader', PathPrefix: '/v1/health/service/steady' } });
      await env.bridge.crashAndRestart();
      await waitFor('the client to reconnect to the restarted bridge', () => env.bridge.connectedNodes(),
        (nodes) => nodes.includes('ccore-restart'), { timeout: 30_000, interval: 200 });
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
    tally = await traffic.stop();
    assert.ok(tally.total - beforeRestart >= 50, `RPCs kept flowing across the restart: ${tally}`);
  } finally {
    tally ??= await traffic.stop();
  }
  assert.equal(tally.failures, 0, `no RPC may fail across a bridge restart: ${tally}`);
});

// With ignore_resource_deletion in the bootstrap, C-core keeps the Listener and Cluster the bridge stops
// listing when a service has no instance left ("ignoring deletion" in its log), so the service's empty
// assignment fails RPCs until instances are back, and the live channel follows them again.
scenario('a service scaled to zero and back is reachable again on a live channel', async () => {
  const [backend] = await startBackends(['phoenix-1']);
  await env.register('phoenix', [backend]);
  const phoenixApp = await app('ccore-phoenix');
  const client = phoenixApp.channel('phoenix');
  await waitForBackends(client, ['phoenix-1']);
  await env.agent.deregister('phoenix-1');
  await waitFor('RPCs to phoenix to fail UNAVAILABLE once it has no instance', () => client.batch(5, { deadlineMs: 1000 }),
    (t) => t.allFailedWith('UNAVAILABLE'));
  await env.register('phoenix', [backend]);
  await waitForBackends(client, ['phoenix-1']);
  await assertServedBy(client, ['phoenix-1']);
});

scenario('a service that does not exist is not served, and is reachable once an instance registers', async () => {
  // Asked for since setup: C-core gives up on the Listener after 15 s and fails the channel's RPCs.
  await waitFor('C-core to give up on Listener ghost', async () => shared.missing,
    (missing) => missing.has('Listener/ghost'), { timeout: 30_000, interval: 250 });
  const client = shared.channel('ghost');
  const before = await client.batch(5, { deadlineMs: 1000 });
  assert.equal(before.failures, 5, `no RPC to an unknown service can succeed: ${before}`);

  const [backend] = await startBackends(['ghost-1']);
  await env.register('ghost', [backend]);
  await waitForBackends(client, ['ghost-1']);
  await assertServedBy(client, ['ghost-1']);
});

scenario('a scoped node (bridge.services) reaches its services and never sees another', async () => {
  await assertServedBy(scoped.channel('scoped-a'), ['scoped-a-1'], 20);
  await assertServedBy(scoped.channel('scoped-b'), ['scoped-b-1'], 20);
  // scoped-c is served to everyone else...
  await waitForBackends(shared.channel('scoped-c'), ['scoped-c-1']);
  // ...but the scoped node, which has asked for it since setup, was never sent it: C-core gave up waiting.
  await waitFor('C-core to give up on Listener scoped-c for the scoped node', async () => scoped.missing,
    (missing) => missing.has('Listener/scoped-c'), { timeout: 30_000, interval: 250 });
  const [c2] = await startBackends(['scoped-c-2']);
  await env.register('scoped-c', [c2]); // a change to scoped-c must not reach the scoped node either
  await waitForBackends(shared.channel('scoped-c'), ['scoped-c-1', 'scoped-c-2']);
  const denied = await scoped.batch('scoped-c', 5, { deadlineMs: 1000 });
  assert.equal(denied.failures, 5, `the scoped node cannot call a service outside its list: ${denied}`);
  const leaked = [...scoped.parsed].filter((r) => r.endsWith('/scoped-c'));
  assert.deepEqual(leaked, [], 'the scoped node never received a resource of scoped-c');
  assert.deepEqual([...scoped.parsed].sort(), ['Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration']
    .flatMap((type) => [`${type}/scoped-a`, `${type}/scoped-b`]).sort(), 'the scoped node holds its two services, all four types');
});

scenario('C-core parsed every resource of every service the scenarios used', async () => {
  const services = ['spread', 'opts-lr', 'opts-mg', 'opts-rh', 'checks', 'warned', 'twice', 'dual', 'ghost', 'scoped-c'];
  for (const s of services) {
    for (const type of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) {
      assert.ok(shared.parsed.has(`${type}/${s}`), `the shared client parsed ${type} ${s}: ${[...shared.parsed].sort().join(' ')}`);
    }
  }
  assert.ok(shared.parsed.has('Listener/spread:50051'), 'the shared client parsed the Listener of the target with a port');
});
