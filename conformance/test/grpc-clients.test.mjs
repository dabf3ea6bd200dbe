// Real proxyless gRPC clients (@grpc/grpc-js-xds 1.14.1) resolving xds:///<service> through the bridge,
// against the dev agent, making real RPCs to real backends: the scenarios of lib/scenarios.mjs (which
// test/ccore-clients.test.mjs runs too), then what only grpc-js shows, last CSDS's word on every resource.
// Scenarios share one agent and one bridge and run in order; each uses its own services so that none
// depends on another's leftovers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClientFactory, bootstrap, runBatch } from '../lib/clients.mjs';
import { startCsds } from '../lib/csds.mjs';
import { assertServedBy, waitForBackends } from '../lib/expect.mjs';
import { MANY, declareClientScenarios } from '../lib/scenarios.mjs';
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

/** What lib/scenarios.mjs runs against: channels without a node id share the process-wide XdsClient. */
const suite = {
  env,
  startBackends: (names) => env.startBackends(names),
  shared: { channel: (service) => clients.client(service) },
  app: async (nodeId) => ({ channel: (service) => clients.client(service, { nodeId }) }),
  async assertAccepted(type, names) {
    const held = (await csds.resources()).filter((r) => r.type === type && names.includes(r.name));
    assert.deepEqual(held.map((r) => `${r.name}:${r.status}`).sort(), names.map((n) => `${n}:ACKED`).sort(), `each ${type} ACKED by grpc-js-xds`);
  },
};

declareClientScenarios(env.scenario, suite);

/** Runs a Node script to its end; resolves to its exit status and output. */
function runNode(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code ?? 1) : 0, signal: error?.signal, stdout, stderr }));
  });
}

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
  const services = ['spread', 'opts-lr', 'opts-mg', 'opts-rh', 'dereg', 'checks', 'maint', 'weighted', 'warned', 'empty', ...MANY, 'steady', 'phoenix', 'ghost'];
  const held = new Set(resources.map((r) => `${r.type}/${r.name}`));
  for (const s of services) {
    for (const type of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) {
      assert.ok(held.has(`${type}/${s}`), `CSDS lists ${type} ${s}: ${[...held].sort().join(' ')}`);
    }
  }
  assert.ok(held.has('Listener/spread:50051'), 'CSDS lists the Listener of the target with a port (its route is spread\'s)');
});
