// The operator's view while real clients are connected: a grpc-js-xds application making RPCs and an
// Envoy-like ADS client that NACKs. The admin endpoints and CSDS must show both truthfully, and the
// Prometheus series must move when Consul changes.
import assert from 'node:assert/strict';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { SotwAds, TYPE, adsStub, envoyNode } from '../lib/ads-client.mjs';
import { ClientFactory, runBatch } from '../lib/clients.mjs';
import { upstreamProtoDirs } from '../lib/paths.mjs';
import { useBridge } from '../lib/suite.mjs';
import { waitFor } from '../lib/wait.mjs';

let clients;
let nacker;

const env = useBridge({
  async setup(env) {
    clients = new ClientFactory(env.bridge.adsAddress);
    env.onCleanup(() => clients.closeAll());
    env.onCleanup(() => nacker?.close());
  },
});

/** One series of a Prometheus text exposition, summed over the label sets that match `labels`. */
async function metric(name, labels = {}) {
  const response = await fetch(`${env.bridge.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    seen = true;
  }
  return seen ? sum : undefined;
}

env.scenario('admin endpoints and metrics show a working gRPC client and a NACKing Envoy while Consul changes', async () => {
  const backends = await env.startBackends(['adm-1', 'adm-2']);
  await env.register('adm', backends);
  const app = clients.client('adm');
  const first = await runBatch(app, 20);
  assert.equal(first.failures, 0, `${first}`);

  // An Envoy-like node that rejects every cluster answer it gets.
  nacker = new SotwAds(adsStub(env.bridge.adsAddress), envoyNode('nacking-envoy'));
  nacker.request(TYPE.cluster, []);
  const cds = await nacker.next(10_000);
  nacker.request(TYPE.cluster, [], { version: '', nonce: cds.nonce, errorDetail: { code: 3, message: 'cluster adm: made-up rejection' } });

  const { status, body: clientsView } = await waitFor('both clients in /debug/clients, the NACK recorded',
    () => env.bridge.admin('/debug/clients'),
    ({ body }) => body.some((c) => c.kind === 'grpc') && body.some((c) => c.nodeId === 'nacking-envoy' && c.types.some((t) => t.nackError)),
    { timeout: 10_000 });
  assert.equal(status, 200);
  const grpcClient = clientsView.find((c) => c.kind === 'grpc');
  const listeners = grpcClient.types.find((t) => t.typeUrl === TYPE.listener);
  assert.deepEqual(listeners.subscribed, ['adm']);
  assert.equal(listeners.ackedVersion, listeners.sentVersion, 'the gRPC client accepted what it was sent');
  const envoy = clientsView.find((c) => c.nodeId === 'nacking-envoy');
  const rejected = envoy.types.find((t) => t.typeUrl === TYPE.cluster);
  assert.equal(envoy.kind, 'envoy');
  assert.equal(rejected.nackedVersion, cds.version_info);
  assert.match(rejected.nackError, /made-up rejection/);

  // CSDS on the ADS port says the same.
  const definition = protoLoader.loadSync('envoy/service/status/v3/csds.proto', { keepCase: true, enums: String, includeDirs: upstreamProtoDirs });
  const { ClientStatusDiscoveryService } = grpc.loadPackageDefinition(definition).envoy.service.status.v3;
  const csds = new ClientStatusDiscoveryService(env.bridge.adsAddress, grpc.credentials.createInsecure());
  const status2 = await new Promise((resolve, reject) => csds.FetchClientStatus({}, (e, r) => (e ? reject(e) : resolve(r))));
  csds.close();
  const envoyConfig = status2.config.find((c) => c.node.id === 'nacking-envoy');
  assert.ok(envoyConfig.generic_xds_configs.some((g) => g.client_status === 'NACKED' && g.error_state?.details?.includes('made-up rejection')));
  const grpcConfig = status2.config.find((c) => c.node.id !== 'nacking-envoy');
  assert.ok(grpcConfig.generic_xds_configs.every((g) => g.client_status === 'ACKED'), 'the gRPC client ACKed everything');

  const ready = await env.bridge.admin('/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.status, 'ready');
  const catalog = await env.bridge.admin('/debug/catalog');
  assert.deepEqual(catalog.body.services.find((s) => s.name === 'adm').instances.map((i) => i.serviceId).sort(), ['adm-1', 'adm-2']);
  const xds = await fetch(`${env.bridge.adminUrl}/debug/xds?resources=true`).then((r) => r.json());
  const assignment = xds.types.find((t) => t.clientKind === 'grpc' && t.typeUrl === TYPE.endpoint).resources.find((r) => r.name === 'adm');
  assert.equal(assignment.resource.endpoints.flatMap((l) => l.lbEndpoints).length, 2);

  // The series move when Consul changes.
  assert.equal(await metric('bridge_state', { state: 'ready' }), 1);
  assert.ok((await metric('bridge_xds_streams', { kind: 'grpc', protocol: 'sotw' })) >= 1);
  assert.ok((await metric('bridge_xds_nacks_total', { type: 'envoy.config.cluster.v3.Cluster' })) >= 1);
  const instancesBefore = await metric('bridge_catalog_instances');
  const responsesBefore = await metric('bridge_xds_responses_total', { type: 'envoy.config.endpoint.v3.ClusterLoadAssignment' });
  const propagationBefore = (await metric('bridge_propagation_write_seconds_count')) ?? 0;
  await env.agent.deregister('adm-2');
  await waitFor('the catalog, xDS and propagation series to move after a deregistration',
    async () => ({
      instances: await metric('bridge_catalog_instances'),
      responses: await metric('bridge_xds_responses_total', { type: 'envoy.config.endpoint.v3.ClusterLoadAssignment' }),
      propagation: await metric('bridge_propagation_write_seconds_count'),
    }),
    (m) => m.instances === instancesBefore - 1 && m.responses > responsesBefore && m.propagation > propagationBefore,
    { timeout: 10_000 });
  assert.ok((await metric('bridge_consul_request_seconds_count', { endpoint: '/v1/health/service' })) > 0);
});
