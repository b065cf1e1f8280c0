'use strict';

// A second sipster process for the tests: `run()` executes a function in it
// (sent as source, so it sees only its arguments and `{ sipster, state,
// emit }`), `waitFor()` awaits the events it `emit()`s.

const { fork } = require('node:child_process');
const path = require('node:path');

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'peer.js');

async function startPeer({ timeoutMs = 10000 } = {}) {
  const child = fork(FIXTURE, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', () => {});
  const pending = new Map();
  const events = [];
  const waiters = [];
  let nextId = 1;
  let exited = null;

  child.on('message', (msg) => {
    if (msg.type === 'result') {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (!p) return;
      if (msg.error) p.reject(Object.assign(new Error(msg.error.message), msg.error));
      else p.resolve(msg.result);
    } else if (msg.type === 'event') {
      events.push(msg);
      for (const w of waiters.slice()) w.check();
    }
  });
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal, stderr };
      for (const p of pending.values()) p.reject(new Error(`peer exited (${code ?? signal}): ${stderr}`));
      pending.clear();
      for (const w of waiters.slice()) w.check();
      resolve(exited);
    });
  });

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer did not start: ${stderr}`)), timeoutMs);
    child.once('message', (msg) => {
      clearTimeout(timer);
      if (msg.type === 'ready') resolve();
    });
    child.once('exit', () => reject(new Error(`peer exited at start: ${stderr}`)));
  });

  return {
    pid: child.pid,
    events,
    get stderr() {
      return stderr;
    },
    // { code, signal, stderr } once the process has exited, else null.
    get exited() {
      return exited;
    },
    run(fn, ...args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type: 'run', id, fn: fn.toString(), args });
      });
    },
    // Resolves with the data of the first event `name` (from the start of
    // the peer's life) that `match` accepts and that no earlier call took.
    waitFor(name, match = () => true, limitMs = 10000) {
      return new Promise((resolve, reject) => {
        const waiter = {
          check() {
            const i = events.findIndex((e) => !e.taken && e.name === name && match(e.data));
            if (i >= 0) {
              events[i].taken = true;
              finish();
              resolve(events[i].data);
            } else if (exited) {
              finish();
              reject(new Error(`peer exited while waiting for '${name}': ${exited.stderr}`));
            }
          },
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`peer: no '${name}' event within ${limitMs} ms; got ${JSON.stringify(events.map((e) => e.name))}`));
        }, limitMs);
        function finish() {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(waiter), 1);
        }
        waiters.push(waiter);
        waiter.check();
      });
    },
    // Ends the peer: disconnecting IPC makes it exit; SIGKILL if it hangs.
    async stop(limitMs = 5000) {
      if (exited) return exited;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      const result = await exitPromise;
      clearTimeout(timer);
      return result;
    },
    kill(signal = 'SIGKILL') {
      child.kill(signal);
      return exitPromise;
    },
  };
}

module.exports = { startPeer };
