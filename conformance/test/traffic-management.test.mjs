// Consul's traffic management through real proxyless gRPC clients (grpc-js-xds): the scenarios of
// lib/traffic-scenarios.mjs (a 90/10 split, a header route to a subset, failover to a second datacenter and back, a
// path route and a redirect), then a check that no client NACKed anything. test/ccore-clients.test.mjs runs the same
// scenarios on gRPC C-core.
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { ClientFactory, Tally } from '../lib/clients.mjs';
import { useBridge } from '../lib/suite.mjs';
import { TRAFFIC_AGENT_OPTIONS, declareTrafficScenarios } from '../lib/traffic-scenarios.mjs';

let clients;

const env = useBridge({
  agentOptions: TRAFFIC_AGENT_OPTIONS,
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
  },
});

/** `count` RPCs, 10 at a time, each with `metadata` (header name to value), tallied by the backend that answered. */
async function batch(client, count, { metadata = {}, concurrency = 10 } = {}) {
  const tally = new Tally();
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      tally.add(await new Promise((resolve) => {
        client.Who(Buffer.alloc(0), md, { deadline: Date.now() + 3000 }, (e, name) =>
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
  client(service, nodeId) {
    const client = clients.client(service, { nodeId });
    return { batch: (count, options) => batch(client, count, options) };
  },
});

env.scenario('no client NACKed any resource of the chains above', async () => {
  const streams = (await env.bridge.admin('/debug/clients')).body;
  const nacks = streams.flatMap((s) => s.types.filter((x) => x.nackError).map((x) => `${s.nodeId} ${x.typeUrl}: ${x.nackError}`));
  assert.ok(streams.length >= 3, `the clients' streams are listed (${streams.length})`);
  assert.deepEqual(nacks, [], 'every chain resource was accepted');
});
