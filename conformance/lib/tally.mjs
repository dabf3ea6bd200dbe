// Outcome counts of RPCs, whichever client made them.

/** Outcome counts of a set of RPCs: `by[backendName|'ERR CODE'] = n`, plus one example detail per error. */
export class Tally {
  constructor() {
    this.by = {};
    this.total = 0;
    this.errorDetails = {};
  }

  /** A tally from its plain form, `{ by, errorDetails }` (what a client in another process reports). */
  static from({ by = {}, errorDetails = {} }) {
    const tally = new Tally();
    tally.by = { ...by };
    tally.total = Object.values(by).reduce((n, v) => n + v, 0);
    tally.errorDetails = { ...errorDetails };
    return tally;
  }

  add({ outcome, details }) {
    this.by[outcome] = (this.by[outcome] ?? 0) + 1;
    this.total += 1;
    if (details !== undefined && !(outcome in this.errorDetails)) this.errorDetails[outcome] = details;
  }

  get failures() {
    return Object.entries(this.by).filter(([k]) => k.startsWith('ERR ')).reduce((n, [, v]) => n + v, 0);
  }

  /** Names of the backends that served at least one RPC, sorted. */
  get backends() {
    return Object.keys(this.by).filter((k) => !k.startsWith('ERR ')).sort();
  }

  count(outcome) {
    return this.by[outcome] ?? 0;
  }

  /** True if every RPC failed with the given code, e.g. 'UNAVAILABLE'. */
  allFailedWith(code) {
    return this.total > 0 && this.count(`ERR ${code}`) === this.total;
  }

  toString() {
    return JSON.stringify({ by: this.by, errorDetails: this.errorDetails });
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Tally ${this.toString()}`;
  }
}
