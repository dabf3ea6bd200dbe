// CSDS: what grpc-js-xds itself says about every xDS resource it holds. An in-process admin server
// (grpc.addAdminServicesToServer) answers FetchClientStatus for all XdsClients of this process.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { upstreamProtoDirs } from './paths.mjs';

const definition = protoLoader.loadSync('envoy/service/status/v3/csds.proto', {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: upstreamProtoDirs,
});
const { ClientStatusDiscoveryService } = grpc.loadPackageDefinition(definition).envoy.service.status.v3;

export async function startCsds() {
  const server = new grpc.Server();
  grpc.addAdminServicesToServer(server);
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = new ClientStatusDiscoveryService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    /** Every resource of every XdsClient: { node, type, name, status, version, error }. */
    async resources() {
      const response = await new Promise((resolve, reject) =>
        client.FetchClientStatus({ node_matchers: [] }, { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r))));
      return response.config.flatMap((config) => config.generic_xds_configs.map((c) => ({
        node: config.node?.id,
        type: c.type_url.slice(c.type_url.lastIndexOf('.') + 1),
        name: c.name,
        status: c.client_status,
        version: c.version_info,
        error: c.error_state?.details,
      })));
    },
    close() {
      client.close();
      server.forceShutdown();
    },
  };
}
