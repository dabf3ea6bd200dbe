// Child processes (dev agent, bridge) whose output is kept for failure reports and which never outlive
// the test process, whatever way it ends.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const MAX_LINES = 3000;

/** A JSON log line (the daemon's format when its output is redirected) shortened to time, level, category, message. */
function condense(line) {
  if (!line.startsWith('{')) return line;
  try {
    const e = JSON.parse(line);
    const message = e.message ?? e.Message;
    if (typeof message !== 'string') return line;
    const category = String(e.category ?? e.Category ?? '').split('.').pop();
    const exception = e.exception ?? e.Exception;
    const first = exception ? ` | ${String(typeof exception === 'string' ? exception : JSON.stringify(exception)).split('\n')[0]}` : '';
    return `${e.timestamp ?? e.Timestamp ?? ''} ${e.level ?? e.LogLevel ?? ''} ${category}[${e.eventId ?? e.EventId ?? ''}]: ${message}${first}`;
  } catch {
    return line;
  }
}

export class ManagedProcess {
  /** `stdin: 'pipe'` opens the child's stdin for `write`; otherwise it reads nothing. */
  constructor(name, command, args, { env = process.env, stdin = 'ignore' } = {}) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.env = env;
    this.stdin = stdin;
    this.lines = [];
    this.lineWaiters = [];
    this.lineListeners = [];
    this.child = null;
    this.exit = null;
    this.runs = 0;
  }

  /** Whether the latest start is still alive. */
  get running() {
    return this.child !== null;
  }

  start() {
    if (this.child) throw new Error(`${this.name} is already running`);
    this.runs += 1;
    const run = this.runs;
    this.note(`start #${run}: ${this.command} ${this.args.join(' ')}`);
    const child = spawn(this.command, this.args, { env: this.env, stdio: [this.stdin, 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    for (const [stream, tag] of [[child.stdout, 'out'], [child.stderr, 'err']]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        for (const listener of this.lineListeners) listener(tag, line);
        this.record(`${tag}| ${condense(line)}`);
      });
    }
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.note(`exit #${run}: code=${code} signal=${signal}`);
        if (this.child === child) this.child = null;
        resolve({ code, signal });
      });
    });
    child.once('error', (e) => this.note(`spawn error: ${e.message}`));
    return this;
  }

  /** Calls `listener(stream, line)` with every line the process writes from now on ('out' or 'err', as written). */
  onLine(listener) {
    this.lineListeners.push(listener);
  }

  /** Writes one line to the child's stdin (started with `stdin: 'pipe'`). */
  writeLine(text) {
    if (!this.child) throw new Error(`${this.name} is not running`);
    this.child.stdin.write(`${text}\n`);
  }

  /** Resolves with the match of the first line of output from now on that matches `pattern`. */
  waitForLine(pattern) {
    return new Promise((resolve) => this.lineWaiters.push({ pattern, resolve }));
  }

  note(text) {
    this.record(`--| ${new Date().toISOString()} ${text}`);
  }

  record(line) {
    this.lines.push(line);
    for (const w of [...this.lineWaiters]) {
      const m = line.match(w.pattern);
      if (m) {
        this.lineWaiters.splice(this.lineWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  /** The last `count` lines of output, each prefixed with the process name. */
  tail(count = 80) {
    return this.lines.slice(-count).map((l) => `[${this.name}] ${l}`);
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL if it does not exit in time. */
  async stop(graceMs = 5000) {
    const child = this.child;
    if (!child) return;
    const exited = this.exit;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Abrupt death (SIGKILL), as in a crash. */
  async kill() {
    const child = this.child;
    if (!child) return;
    const exited = this.exit;
    child.kill('SIGKILL');
    await exited;
  }

  /** Rejects as soon as the process exits; used to fail fast while waiting for it to become ready. */
  exitedEarly() {
    return this.exit.then(({ code, signal }) => {
      throw new Error(`${this.name} exited (code=${code}, signal=${signal}) before it was ready:\n${this.tail(40).join('\n')}`);
    });
  }
}

/** Races a readiness wait against the process dying, with a timeout. */
export async function whenReady(proc, ready, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${proc.name} not ${what} within ${timeoutMs} ms:\n${proc.tail(40).join('\n')}`)), timeoutMs);
  });
  const died = proc.exitedEarly();
  died.catch(() => {}); // only matters while racing; a later exit is the caller's business
  try {
    return await Promise.race([ready, died, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
