// A state-of-the-world ADS server that answers as a test says, for seeing what a client does with a response
// the bridge never sends (an invalid resource, say).
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { upstreamProtoDirs } from './paths.mjs';

const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: upstreamProtoDirs,
});
const { AggregatedDiscoveryService } = grpc.loadPackageDefinition(definition).envoy.service.discovery.v3;

/**
 * Starts the server: `answer(request)` returns the DiscoveryResponse to send on that request's stream, or
 * nothing. Every request received is kept in `requests`.
 */
export async function startScriptedAds(answer) {
  const server = new grpc.Server();
  const requests = [];
  server.addService(AggregatedDiscoveryService.service, {
    StreamAggregatedResources(call) {
      call.on('data', (request) => {
        requests.push(request);
        const response = answer(request);
        if (response) call.write(response);
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, requests, close: () => server.forceShutdown() };
}

/** A Listener that has only a name (field 1): neither an API listener nor an address, so invalid everywhere. */
export function nameOnlyListener(name) {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 127) throw new Error('a name of up to 127 bytes (its length is one varint byte)');
  return { type_url: 'type.googleapis.com/envoy.config.listener.v3.Listener', value: Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]) };
}
