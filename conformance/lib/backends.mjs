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
 * each call waits before it answers; `hold`: every call waits until `release()`, and `waitHeld(n)` resolves once `n`
 * calls are waiting (so a test knows a call is in flight at the backend).
 */
export async function startBackend(name, { failWith, delayMs = 0, hold = false } = {}) {
  const server = new grpc.Server();
  const backend = { name, served: 0, server, address: '127.0.0.1', port: 0 };
  const held = [];
  const waiters = [];
  let released = false;
  backend.release = async () => {
    released = true;
    for (const answer of held.splice(0)) answer();
  };
  backend.waitHeld = (count, timeoutMs = 10_000) => new Promise((resolve, reject) => {
    if (held.length >= count) return resolve(held.length);
    const timer = setTimeout(() => reject(new Error(`${name}: ${held.length} calls held, not ${count}, after ${timeoutMs} ms`)), timeoutMs);
    waiters.push({ count, resolve: (n) => { clearTimeout(timer); resolve(n); } });
  });
  server.addService(service, {
    Who(call, callback) {
      backend.served += 1;
      const answer = () => (failWith
        ? callback({ code: grpc.status[failWith], details: `${name} fails on purpose` })
        : callback(null, Buffer.from(name, 'utf8')));
      if (hold && !released) {
        held.push(answer);
        for (const w of waiters.filter((x) => held.length >= x.count)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(held.length);
        }
      } else if (delayMs > 0) setTimeout(answer, delayMs);
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
