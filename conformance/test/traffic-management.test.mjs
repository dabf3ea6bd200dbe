// Consul's traffic management through real proxyless gRPC clients (grpc-js-xds): the scenarios of
// lib/traffic-scenarios.mjs (a 90/10 split, a header route to a subset, failover to a second datacenter and back, a
// path route and a redirect), then a check that no client NACKed anything. test/ccore-clients.test.mjs runs the same
// scenarios on gRPC C-core.
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { ClientFactory, Tally } from '../lib/clients.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';
import { TRAFFIC_AGENT_OPTIONS, declareTrafficScenarios } from '../lib/traffic-scenarios.mjs';

let clients;

const env = useBridge({
  agentOptions: TRAFFIC_AGENT_OPTIONS,
  // Every gRPC client here is grpc-js, which takes RING_HASH (gRPC C-core 1.51 would crash on it).
  bridgeSettings: { 'Xds:GrpcRingHash': 'true' },
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
  },
});

/**
 * `count` RPCs, 10 at a time, each with `metadata` (header name to value) and a deadline `deadlineMs` after its
 * start, tallied by the backend that answered.
 */
async function batch(client, count, { metadata = {}, concurrency = 10, deadlineMs = 3000 } = {}) {
  const tally = new Tally();
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      tally.add(await new Promise((resolve) => {
        client.Who(Buffer.alloc(0), md, { deadline: Date.now() + deadlineMs }, (e, name) =>
          resolve(e ? { outcome: `ERR ${grpc.status[e.code] ?? e.code}`, details: e.details } : { outcome: name }));
      }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return tally;
}

declareTrafficScenarios(env.scenario, {
  env,
  startBackends: (names, options) => env.startBackends(names, options),
  client(service, nodeId, { serviceName } = {}) {
    const client = clients.client(service, { nodeId, serviceName });
    return { batch: (count, options) => batch(client, count, options) };
  },
});

env.scenario('ring hash on a header keeps each user on one instance and spreads users over all of them', async (t) => {
  const service = 'sticky';
  const backends = await env.startBackends(['sticky-1', 'sticky-2', 'sticky-3']);
  await env.register(service, backends);
  await env.agent.putConfigEntry({ Kind: 'service-defaults', Name: service, Protocol: 'grpc' });
  await env.agent.putConfigEntry({
    Kind: 'service-resolver', Name: service,
    LoadBalancer: { Policy: 'ring_hash', HashPolicies: [{ Field: 'header', FieldValue: 'x-user' }] },
  });
  const client = clients.client(service, { nodeId: `${service}-client` });
  // Round robin spreads one user's RPCs over every instance; ring hash sends them all to one.
  await waitFor('ring hash to be served', () => batch(client, 30, { metadata: { 'x-user': 'probe' } }),
    (r) => r.failures === 0 && r.backends.length === 1, { timeout: 30_000 });

  const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
  const placed = new Map();
  for (const user of users) {
    const tally = await batch(client, 20, { metadata: { 'x-user': user } });
    assert.equal(tally.failures, 0, `no RPC of ${user} fails: ${JSON.stringify(tally.by)}`);
    assert.equal(tally.backends.length, 1, `every RPC of ${user} reaches one instance: ${JSON.stringify(tally.by)}`);
    placed.set(user, tally.backends[0]);
  }
  const spread = new Set(placed.values());
  t.diagnostic(`30 users x 20 RPCs: each user on one instance; users per instance ${JSON.stringify([...spread].map((b) => [b, [...placed.values()].filter((x) => x === b).length]))}`);
  // 30 users hashed onto 3 instances all landing on fewer than 2 would mean the hash is not used at all.
  assert.ok(spread.size >= 2, `users spread over the instances: ${JSON.stringify(Object.fromEntries(placed))}`);
});

env.scenario('no client NACKed any resource of the chains above', async () => {
  const streams = (await env.bridge.admin('/debug/clients')).body;
  const nacks = streams.flatMap((s) => s.types.filter((x) => x.nackError).map((x) => `${s.nodeId} ${x.typeUrl}: ${x.nackError}`));
  assert.ok(streams.length >= 3, `the clients' streams are listed (${streams.length})`);
  assert.deepEqual(nacks, [], 'every chain resource was accepted');
});
