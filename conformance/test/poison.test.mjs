// "One bad instance never blocks its service, or the bridge": before the bridge starts, Consul holds a service
// with two healthy instances and one registered with a port Consul accepts but no endpoint can have (past 32
// bits), and a second service every read of which fails (403, as a proxy in front of Consul may answer). The
// bridge must become ready within its start-up bound, serve the healthy instances to real gRPC clients, name the
// left-out instance and the unread service, and never let either cost another RPC.
import assert from 'node:assert/strict';
import { ClientFactory, runBatch } from '../lib/clients.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

let clients;
let backends;

const env = useBridge({
  bridgeSettings: { 'Catalog:SyncTimeout': '00:00:03' },
  async beforeBridge(env) {
    backends = await env.startBackends(['poisoned-1', 'poisoned-2']);
    await env.register('poisoned', backends);
    await env.agent.register({ id: 'poisoned-bad', name: 'poisoned', port: 2147483648 });
    await env.agent.register({ id: 'broken-1', name: 'broken', port: backends[0].port });
    await env.agent.faults({ Error: { Kind: 'Custom', StatusCode: 403, Body: 'Permission denied', PathPrefix: '/v1/health/service/broken' } });
  },
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
    env.onCleanup(() => env.agent.faults({}));
  },
});

env.scenario('a poison instance and an unreadable service registered before start: the bridge becomes ready and serves every healthy instance', async (t) => {
  const started = Date.now();
  const readyz = await waitFor('/readyz to answer 200', () => env.bridge.admin('/readyz'), (r) => r.status === 200, { timeout: 20_000 });
  t.diagnostic(`readyz ${readyz.body.status} ${Date.now() - started} ms after the bridge was up; unread: ${readyz.body.unread}`);
  assert.deepEqual(readyz.body.unread, ['broken'], 'the service Consul will not answer for is named');

  const client = clients.client('poisoned', { nodeId: 'poison-client' });
  const tally = await waitFor('RPCs to reach both healthy instances', () => runBatch(client, 40),
    (x) => x.failures === 0 && x.backends.length === 2, { timeout: 20_000 });
  assert.deepEqual(tally.backends, ['poisoned-1', 'poisoned-2']);

  const xds = (await env.bridge.admin('/debug/xds')).body;
  assert.deepEqual(xds.leftOut.poisoned?.map((l) => [l.serviceId, l.field, l.value]), [['poisoned-bad', 'port', '2147483648']]);
  const steady = await runBatch(client, 100);
  assert.equal(steady.failures, 0, `${steady}`);
});
