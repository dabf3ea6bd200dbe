// Assertions on RPC outcomes, shared by the client suites. A client here is anything with a `service` and a
// `batch(count, { concurrency, deadlineMs })` that makes that many RPCs and resolves to their Tally.
import assert from 'node:assert/strict';
import { waitFor } from './wait.mjs';

/** Waits until a batch of RPCs is served by exactly `expected` backends, without failures. */
export function waitForBackends(client, expected, { batch = 30, timeout = 20_000 } = {}) {
  const want = [...expected].sort();
  return waitFor(`${client.service} to be served by exactly ${want.join(', ')}`,
    () => client.batch(batch),
    (t) => t.failures === 0 && JSON.stringify(t.backends) === JSON.stringify(want),
    { timeout });
}

/** Asserts that `count` RPCs all succeed, every one of `expected` serves some, and nothing else does. */
export async function assertServedBy(client, expected, count = 60) {
  const tally = await client.batch(count);
  assert.equal(tally.failures, 0, `no RPC to ${client.service} may fail: ${tally}`);
  assert.deepEqual(tally.backends, [...expected].sort(), `backends serving ${client.service}: ${tally}`);
  return tally;
}

// gRPC clients pick a locality at random by weight (grpc-js and C-core alike), so with 3:1 the heavy
// instance's count of 400 RPCs is binomial(400, 0.75): mean 300, sd 8.7. [255, 345] is beyond 5 sd either
// way, and an even 1:1 split (200) is far outside it.
export const HEAVY_OF_400 = [255, 345];
