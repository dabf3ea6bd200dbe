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

/**
 * `failWith`: a status code name (e.g. 'UNAVAILABLE') every call ends with instead of the name; `delayMs`: how long
 * each call waits before it answers.
 */
export async function startBackend(name, { failWith, delayMs = 0 } = {}) {
  const server = new grpc.Server();
  const backend = { name, served: 0, server, address: '127.0.0.1', port: 0 };
  server.addService(service, {
    Who(call, callback) {
      backend.served += 1;
      const answer = () => (failWith
        ? callback({ code: grpc.status[failWith], details: `${name} fails on purpose` })
        : callback(null, Buffer.from(name, 'utf8')));
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    },
  });
  backend.port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  backend.stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  backend.kill = () => server.forceShutdown();
  return backend;
}

export async function startBackends(names, options) {
  return Promise.all(names.map((n) => startBackend(n, options)));
}
