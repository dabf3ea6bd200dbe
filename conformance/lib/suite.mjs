// One dev agent and one bridge shared by the scenarios of a test file (started in `before`, always stopped
// in `after`), plus `scenario()`, a node:test `test()` that prints both processes' recent output on failure.
import { after, before, test } from 'node:test';
import { Bridge } from './bridge.mjs';
import { DevAgent } from './devagent.mjs';
import { startBackend } from './backends.mjs';

// node 20 runs a file's top-level `before` hooks concurrently, so a file's own setup must not be a second
// `before`: it goes in `setup` (after both processes are up), `beforeBridge` (after the agent is up, before the
// bridge starts: what Consul holds when the bridge first reads it) and `onCleanup` (run first in `after`).
export function useBridge({ bridgeSettings = {}, agentSeed, agentOptions = [], setup, beforeBridge } = {}) {
  const env = {
    agent: null,
    bridge: null,
    backends: [],
    cleanups: [],

    /** Starts backends named `names` (with `options`, see startBackend), stopped in `after`. */
    async startBackends(names, options) {
      const started = await Promise.all(names.map((n) => startBackend(n, options)));
      env.backends.push(...started);
      return started;
    },

    /** Registers each backend as a passing instance of `service` (instance ID = backend name). */
    async register(service, backends) {
      for (const b of backends) await env.agent.register({ id: b.name, name: service, port: b.port });
    },

    onCleanup(fn) {
      env.cleanups.push(fn);
    },

    logTail(lines = 60) {
      return [...(env.agent?.proc.tail(lines) ?? []), ...(env.bridge?.proc.tail(lines) ?? [])];
    },

    /** `todo`: a known bug, reported as TODO (not a failure) until it is fixed. */
    scenario(name, fn, { timeout = 90_000, todo } = {}) {
      test(name, { timeout, todo }, async (t) => {
        try {
          await fn(t);
        } catch (e) {
          t.diagnostic('recent output of the dev agent and the bridge:');
          for (const line of env.logTail()) t.diagnostic(line);
          throw e;
        }
      });
    },
  };

  before(async () => {
    env.agent = await DevAgent.start({ seed: typeof agentSeed === 'function' ? await agentSeed() : agentSeed, options: agentOptions });
    await beforeBridge?.(env);
    env.bridge = await Bridge.start({ consulAddress: env.agent.url, settings: bridgeSettings });
    await setup?.(env);
  });

  after(async () => {
    for (const fn of env.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // cleanup goes on
      }
    }
    for (const b of env.backends.splice(0)) b.kill();
    await env.bridge?.stop();
    await env.agent?.stop();
    // grpc-js-xds has no way to close an XdsClient: its ADS channels and timers would keep this test
    // process alive after the last test. Once the results are out, end it (exit code set by node:test).
    setTimeout(() => process.exit(), 2000).unref();
  });

  return env;
}
