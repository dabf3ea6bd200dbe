// Backends: plain grpc-js servers on 127.0.0.1:0 with one generic unary method that answers with the
// backend's own name, so every RPC outcome says which instance served it.
import grpc from '@grpc/grpc-js';

export const ECHO_METHOD = '/conformance.Echo/Who';

const service = {
  Who: {
    path: ECHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b) => b,
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b,
  },
};

export async function startBackend(name) {
  const server = new grpc.Server();
  const backend = { name, served: 0, server, address: '127.0.0.1', port: 0 };
  server.addService(service, {
    Who(call, callback) {
      backend.served += 1;
      callback(null, Buffer.from(name, 'utf8'));
    },
  });
  backend.port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  backend.stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  backend.kill = () => server.forceShutdown();
  return backend;
}

export async function startBackends(names) {
  return Promise.all(names.map((n) => startBackend(n)));
}
