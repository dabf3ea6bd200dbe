import { inspect } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls an observable outcome until it satisfies `accept`, and returns that observation. `observe` should do
 * real work that shows the state (a batch of RPCs, an HTTP call), so the wait ends as soon as the behaviour
 * is there; the interval only spaces the observations out. On timeout the error shows the last observation.
 */
export async function waitFor(what, observe, accept, { timeout = 20_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await observe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const seen = lastError ? `last attempt threw: ${lastError.stack ?? lastError}` : `last observation: ${inspect(last, { depth: 6, breakLength: 120 })}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; ${seen}`);
    }
    await delay(interval);
  }
}
