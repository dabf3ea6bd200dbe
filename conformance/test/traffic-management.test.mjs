// Consul's traffic management through real proxyless gRPC clients (grpc-js-xds): config entries written to the dev
// agent (PUT /v1/config) reach the bridge through its config-entry watches, and every assertion is on which backend
// answered real RPCs: a 90/10 split, a header route to a subset (Consul evaluates the subset's filter), and failover
// to a second datacenter and back when the local instance recovers.
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import { ClientFactory, runBatch, Tally } from '../lib/clients.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

let clients;

const env = useBridge({
  agentOptions: ['--datacenters', 'dc1,dc2'],
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
  },
});

async function grpcService(name) {
  await env.agent.putConfigEntry({ Kind: 'service-defaults', Name: name, Protocol: 'grpc' });
}

/** Registers backends as instances of `service` with `tags`. */
async function registerTagged(service, backends, tags) {
  for (const b of backends) await env.agent.register({ id: b.name, name: service, port: b.port, tags });
}

/** `count` RPCs with `metadata` (header name to value), tallied by the backend that answered. */
async function batchWith(client, count, metadata = {}) {
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
  await Promise.all(Array.from({ length: Math.min(10, count) }, worker));
  return tally;
}

env.scenario('a 90/10 service-splitter splits 1,000 RPCs about 90/10 between two subsets', async (t) => {
  const [stable, canary] = await env.startBackends(['split-stable', 'split-canary']);
  await registerTagged('split', [stable], ['stable']);
  await registerTagged('split', [canary], ['canary']);
  const client = clients.client('split', { nodeId: 'split-client' });
  await waitFor('split to be served', () => runBatch(client, 20), (r) => r.failures === 0 && r.total === 20);

  await grpcService('split');
  await env.agent.putConfigEntry({
    Kind: 'service-resolver', Name: 'split',
    Subsets: { stable: { Filter: '"stable" in Service.Tags' }, canary: { Filter: '"canary" in Service.Tags' } },
  });
  await env.agent.putConfigEntry({
    Kind: 'service-splitter', Name: 'split',
    Splits: [{ Weight: 90, ServiceSubset: 'stable' }, { Weight: 10, ServiceSubset: 'canary' }],
  });

  // Until the split is served, traffic is round-robin (about 50/50): wait for a batch that looks like the split.
  await waitFor('the split to be served', () => runBatch(client, 100), (r) => r.failures === 0 && r.count('split-stable') >= 80);
  const tally = await runBatch(client, 1000);
  const share = tally.count('split-stable') / tally.total;
  t.diagnostic(`split over 1000 RPCs: split-stable ${tally.count('split-stable')}, split-canary ${tally.count('split-canary')}, failed ${tally.failures}`);
  assert.equal(tally.failures, 0, `no RPC fails: ${JSON.stringify(tally.by)}`);
  // 1,000 draws of p = 0.9: sigma = 9.5, so 860..940 is over four sigma.
  assert.ok(share >= 0.86 && share <= 0.94, `stable share ${share} within 0.86..0.94`);
});

env.scenario('a service-router header match sends only those RPCs to the v2 subset', async (t) => {
  const v1 = await env.startBackends(['hdr-v1-a', 'hdr-v1-b']);
  const v2 = await env.startBackends(['hdr-v2-a']);
  await registerTagged('hdr', v1, ['v1']);
  await registerTagged('hdr', v2, ['v2']);
  await grpcService('hdr');
  await env.agent.putConfigEntry({
    Kind: 'service-resolver', Name: 'hdr', DefaultSubset: 'v1',
    Subsets: { v1: { Filter: '"v1" in Service.Tags' }, v2: { Filter: '"v2" in Service.Tags' } },
  });
  await env.agent.putConfigEntry({
    Kind: 'service-router', Name: 'hdr',
    Routes: [{ Match: { HTTP: { Header: [{ Name: 'x-canary', Exact: 'yes' }] } }, Destination: { ServiceSubset: 'v2' } }],
  });
  const client = clients.client('hdr', { nodeId: 'hdr-client' });

  await waitFor('the header route to be served', () => batchWith(client, 20, { 'x-canary': 'yes' }),
    (r) => r.failures === 0 && r.backends.join() === 'hdr-v2-a');
  const canary = await batchWith(client, 200, { 'x-canary': 'yes' });
  const plain = await batchWith(client, 200);
  const other = await batchWith(client, 100, { 'x-canary': 'no' });
  t.diagnostic(`x-canary: yes -> ${JSON.stringify(canary.by)}; no header -> ${JSON.stringify(plain.by)}; x-canary: no -> ${JSON.stringify(other.by)}`);
  assert.deepEqual(canary.backends, ['hdr-v2-a'], 'every matching RPC reaches v2 only');
  assert.equal(canary.failures, 0);
  assert.deepEqual(plain.backends, ['hdr-v1-a', 'hdr-v1-b'], 'the rest reach the default subset v1 only, both instances');
  assert.deepEqual(other.backends, ['hdr-v1-a', 'hdr-v1-b']);
});

env.scenario('failover to a second datacenter when the local instance fails, and back home when it recovers', async (t) => {
  const [home, away] = await env.startBackends(['fo-dc1', 'fo-dc2']);
  await env.agent.register({ id: home.name, name: 'fo', port: home.port });
  // The dc2 instance is reached at its WAN address, as another datacenter's are.
  await env.agent.catalogRegister({
    node: 'fo-dc2-node', id: away.name, name: 'fo', address: '10.255.0.2', port: 1, datacenter: 'dc2',
    wan: { address: '127.0.0.1', port: away.port },
  });
  await grpcService('fo');
  await env.agent.putConfigEntry({ Kind: 'service-resolver', Name: 'fo', Failover: { '*': { Datacenters: ['dc2'] } } });
  const client = clients.client('fo', { nodeId: 'fo-client' });
  await waitFor('fo to be served from home', () => runBatch(client, 20), (r) => r.failures === 0 && r.backends.join() === 'fo-dc1');

  // The aggregate is served once the chain is: wait for the bridge to serve it before failing the instance.
  await waitFor('the failover cluster to be served', async () => (await env.bridge.admin('/debug/xds')).body,
    (xds) => JSON.stringify(xds).includes('fo/failover'), { timeout: 20_000 });

  const failed = Date.now();
  await env.agent.check(home.name, 'fail');
  await waitFor('traffic to fail over to dc2', () => runBatch(client, 20), (r) => r.failures === 0 && r.backends.join() === 'fo-dc2', { interval: 50 });
  const failoverMs = Date.now() - failed;

  const recovered = Date.now();
  await env.agent.check(home.name, 'pass');
  await waitFor('traffic to come back home', () => runBatch(client, 20), (r) => r.failures === 0 && r.backends.join() === 'fo-dc1', { interval: 50 });
  const returnMs = Date.now() - recovered;
  t.diagnostic(`failover to dc2 in ${failoverMs} ms; back to dc1 in ${returnMs} ms`);
  assert.ok(failoverMs < 10_000 && returnMs < 10_000, `failover ${failoverMs} ms and return ${returnMs} ms within 10 s`);
});
