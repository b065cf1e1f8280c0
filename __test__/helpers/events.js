'use strict';

// Event helpers for the call and account tests: record what an emitter
// emits from the moment it is handed to us, and wait for it without the
// race of `once()` registered after the event already fired.

/**
 * Records `names` events of `emitter` from now on.
 *
 * The listeners close over the record only, never over the emitter, so a
 * recorded Call can still be dropped and collected (calls-gc.test.js).
 *
 * @param {import('node:events').EventEmitter} emitter
 * @param {string[]} names
 * @returns {{events: Array<{name: string, args: any[], at: number}>,
 *   names: (filter?: string[]) => string[],
 *   waitFor: (name: string, match?: (...args: any[]) => boolean, limitMs?: number) => Promise<any[]>}}
 *   waitFor resolves with the args of the first `name` event (since the
 *   recording began) that `match` accepts and no earlier waitFor took;
 *   it rejects after `limitMs` (default 10 s) naming what was seen.
 */
function record(emitter, names) {
  const events = [];
  const waiters = new Set();
  for (const name of names) {
    emitter.on(name, (...args) => {
      events.push({ name, args, at: Date.now() });
      for (const check of [...waiters]) check();
    });
  }
  return {
    events,
    names(filter) {
      return events.filter((e) => !filter || filter.includes(e.name)).map((e) => e.name);
    },
    waitFor(name, match = () => true, limitMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const e = events.find((x) => !x.taken && x.name === name && match(...x.args));
          if (!e) return;
          e.taken = true;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(e.args);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no '${name}' event within ${limitMs} ms; got ${JSON.stringify(events.map((x) => x.name))}`));
        }, limitMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Every event a Call emits. */
const CALL_EVENTS = ['state', 'calling', 'incoming', 'early', 'connecting', 'confirmed', 'disconnected', 'media', 'dtmf', 'transferStatus'];

/** Every event an Account emits. */
const ACCOUNT_EVENTS = ['registering', 'unregistering', 'registered', 'unregistered', 'state', 'call'];

/**
 * Queues an account's incoming calls: each `next()` resolves with
 * `{ info, call, events }` for the next 'call' event, `events` recording
 * the call from its very first event on.
 */
function incomingCalls(account) {
  const arrived = [];
  const takers = [];
  account.on('call', (info, call) => {
    const item = { info, call, events: record(call, CALL_EVENTS) };
    const taker = takers.shift();
    if (taker) taker(item);
    else arrived.push(item);
  });
  return {
    next(limitMs = 10000) {
      if (arrived.length) return Promise.resolve(arrived.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          takers.splice(takers.indexOf(taker), 1);
          reject(new Error(`no incoming call within ${limitMs} ms`));
        }, limitMs);
        function taker(item) {
          clearTimeout(timer);
          resolve(item);
        }
        takers.push(taker);
      });
    },
    get pending() {
      return arrived.length;
    },
  };
}

/** Polls `fn` every 20 ms until it returns a truthy value; rejects after limitMs. */
async function waitUntil(fn, limitMs = 10000, what = 'condition') {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > limitMs) throw new Error(`waitUntil: ${what} not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Media direction attributes of an SDP body, one per m= line ('sendrecv' when absent). */
function sdpDirections(body) {
  const out = [];
  let session = 'sendrecv';
  let current = null;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      if (current) out.push(current.dir ?? session);
      current = {};
    }
    const m = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(line);
    if (!m) continue;
    if (current) current.dir = m[1];
    else session = m[1];
  }
  if (current) out.push(current.dir ?? session);
  return out;
}

/** The connection address of an SDP body (media-level c= of the first m= wins). */
function sdpAddress(body) {
  let address = null;
  let seenMedia = false;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      if (seenMedia) break;
      seenMedia = true;
    }
    const m = /^c=IN IP[46] (\S+)/.exec(line);
    if (m) address = m[1];
  }
  return address;
}

/**
 * The SIP requests a sipster process received, from its pjsip log lines
 * (logConfig level and consoleLevel >= 4: pjsua logs every message in full).
 * Returns the raw text of each request.
 */
function receivedRequests(logLines) {
  const out = [];
  for (const line of logLines) {
    const m = /RX \d+ bytes Request msg [^\n]*:\n([\s\S]*?)\n--end msg--/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

module.exports = {
  record,
  incomingCalls,
  waitUntil,
  sleep,
  sdpDirections,
  sdpAddress,
  receivedRequests,
  CALL_EVENTS,
  ACCOUNT_EVENTS,
};
