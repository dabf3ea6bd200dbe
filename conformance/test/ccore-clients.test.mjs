// Real proxyless gRPC clients on gRPC C-core (Debian's python3-grpcio 1.51, C-core 29: the implementation
// behind C++, Python, Ruby and PHP) resolving xds:///<service> through the bridge, making real RPCs to real
// Python gRPC backends: the scenarios of lib/scenarios.mjs (which test/grpc-clients.test.mjs runs too) and
// more, against a second client that validates resources its own way. Every client logs its xDS client's work
// (GRPC_TRACE=xds_client), and any response C-core rejects fails the scenario in which it happened, with
// C-core's own words printed.
//
// Scenarios share one agent and one bridge and run in order; each uses its own services. A CCoreClient is
// one application process: one node id, one ADS stream for every service it calls.
import assert from 'node:assert/strict';
import net from 'node:net';
import { TYPE } from '../lib/ads-client.mjs';
import { CCoreBackends, CCoreClient, PYTHON } from '../lib/ccore.mjs';
import { assertServedBy, waitForBackends } from '../lib/expect.mjs';
import { MANY, declareClientScenarios } from '../lib/scenarios.mjs';
import { TRAFFIC_AGENT_OPTIONS, declareTrafficScenarios } from '../lib/traffic-scenarios.mjs';
import { nameOnlyListener, startScriptedAds } from '../lib/scripted-ads.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

let backendHost;
let shared; // the application most scenarios use, node id ccore-shared
let scoped; // an application whose bootstrap lists the services it calls
const apps = [];
const rejections = []; // every rejection any C-core client logged, in order
let reported = 0; // how many of them a scenario has already failed on

const env = useBridge({
  agentOptions: TRAFFIC_AGENT_OPTIONS,
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

/** What lib/scenarios.mjs runs against. */
const suite = {
  env,
  startBackends: (names) => startBackends(names),
  get shared() {
    return shared;
  },
  app: (nodeId) => app(nodeId),
  async assertAccepted(type, names) {
    for (const name of names) assert.ok(shared.parsed.has(`${type}/${name}`), `C-core parsed ${type} ${name}`);
  },
};

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

scenario('the suite sees a rejection: C-core NACKs an invalid Listener, and its log says so', async (t) => {
  // Not the bridge: a scripted ADS server answers with a Listener that has neither an API listener nor an
  // address. This proves that what the other scenarios take as "no NACK" would have shown one.
  const ads = await startScriptedAds((request) => (request.type_url === TYPE.listener && request.response_nonce === ''
    ? { version_info: '1', nonce: '1', type_url: TYPE.listener, resources: [nameOnlyListener('broken')] }
    : null));
  const seen = [];
  const probe = await CCoreClient.start({ adsAddress: ads.address, nodeId: 'ccore-probe', rejections: seen });
  t.diagnostic(`C-core clients run on grpcio ${probe.version} (${PYTHON})`);
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

declareClientScenarios(scenario, suite);

// Consul's traffic management (split, header route to a subset, failover to dc2 and back, path route, redirect), each
// in its own application.
declareTrafficScenarios(scenario, {
  env,
  startBackends: (names, options) => backendHost.startAll(names, undefined, options),
  client(service, nodeId, { serviceName } = {}) {
    let started;
    return {
      async batch(count, options) {
        started ??= app(`ccore-${nodeId}`, { serviceName });
        return (await started).batch(service, count, options);
      },
    };
  },
}, 'cc-', {
  // Seen: every RPC ends DEADLINE_EXCEEDED within a few ms, whatever the route's timeout (300 ms or 1 s), where
  // grpc-js ends them at the timeout: a fault on the client's side, not yet traced to its cause in C-core.
  timeoutTodo: 'gRPC C-core 1.51 (Python) ends RPCs at once when a route sets max_stream_duration',
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
  // The bridge serves weights within 1-128, as Consul's own xDS does, so no priority's locality weights can sum
  // past UINT32_MAX (which C-core and grpc-js refuse): 65535, the largest weight Consul takes, serves as 128.
  const backends = await startBackends(['huge-a', 'huge-b', 'huge-c']);
  for (const [i, zone] of ['a', 'b', 'c'].entries()) {
    await env.agent.catalogRegister({ node: `huge-node-${zone}`, nodeMeta: { zone }, id: `huge-${zone}`, name: 'huge', port: backends[i].port, weights: { passing: 65535, warning: 1 } });
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
  const services = ['spread', 'opts-lr', 'opts-mg', 'opts-rh', 'checks', 'warned', ...MANY, 'twice', 'dual', 'ghost', 'scoped-c'];
  for (const s of services) {
    for (const type of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) {
      assert.ok(shared.parsed.has(`${type}/${s}`), `the shared client parsed ${type} ${s}: ${[...shared.parsed].sort().join(' ')}`);
    }
  }
  assert.ok(shared.parsed.has('Listener/spread:50051'), 'the shared client parsed the Listener of the target with a port');
});
