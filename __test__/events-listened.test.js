'use strict';

// The native side copies and sends only the call events that have
// listeners, and always the end of the call. What crosses is counted by
// wrapping the handlers index.js gives the native init(), before index.js
// loads (as bench/sipster-uas.js does); SIPp calls sipster.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const native = require(path.join(__dirname, '..', 'sipster.node'));

// States of callState events as they reach index.js, by call key, and
// the MESSAGEs that reach it.
const delivered = new Map();
let messagesDelivered = 0;
const realInit = native.init;
native.init = function init(config, logToHandlers, handlers, options) {
  const counted = {
    ...handlers,
    callState(callKey, state, ...rest) {
      if (!delivered.has(callKey)) delivered.set(callKey, []);
      delivered.get(callKey).push(state);
      return handlers.callState(callKey, state, ...rest);
    },
    message(...args) {
      messagesDelivered++;
      return handlers.message(...args);
    },
  };
  return realInit.call(this, config, logToHandlers, counted, options);
};

const sipster = require('..');
const { freePort } = require('./helpers/ports');
const { runSipp } = require('./helpers/sipp');
const { loopbackAccount } = require('./helpers/loopback');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { handleSignals: false });

let sipPort;
let transport;
let account;

before(async () => {
  sipPort = await freePort();
  ({ transport, account } = loopbackAccount(sipster, { idUri: 'sip:127.0.0.1', port: sipPort }));
  sipster.start();
});

after(() => {
  account.delete();
  transport.close();
  sipster.shutdown();
});

// One SIPp call: `listen(call)` attaches the listeners in the 'call'
// handler, and the answer comes after the handler returned, so that every
// later state is produced under the listeners' interest (what happens
// while the handler runs is always sent). Resolves once it is disconnected.
async function oneCall(listen) {
  const localPort = await freePort();
  const answered = new Promise((resolve) => {
    account.once('call', (info, call) => {
      const seen = [];
      listen(call, seen);
      call.on('disconnected', () => resolve({ call, seen }));
      setImmediate(() => call.answer(200));
    });
  });
  const sipp = runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${sipPort}`, localPort, duration: 300, timeoutMs: 20000 });
  const [result, run] = await Promise.all([answered, sipp]);
  assert.equal(run.stats.successful, 1, run.stderr);
  return result;
}

test('a call with a disconnected listener only: connecting and confirmed do not cross', { timeout: 30000 }, async () => {
  let stateWhileUp = null;
  const { call } = await oneCall((c) => {
    c.on('disconnected', () => {
      stateWhileUp = c.state;
    });
  });
  const states = delivered.get(call._native.key);
  assert.ok(states.includes('disconnected'), `delivered: ${states}`);
  assert.ok(!states.includes('connecting'), `delivered: ${states}`);
  assert.ok(!states.includes('confirmed'), `delivered: ${states}`);
  assert.equal(stateWhileUp, 'disconnected');
  assert.equal(call.state, 'disconnected');
});

test('a state listener gets every state; a confirmed listener gets confirmed', { timeout: 30000 }, async () => {
  const all = await oneCall((call, seen) => call.on('state', (state) => seen.push(state)));
  assert.deepEqual(all.seen, ['incoming', 'connecting', 'confirmed', 'disconnected']);
  assert.deepEqual(delivered.get(all.call._native.key).slice(-3), ['connecting', 'confirmed', 'disconnected']);

  const one = await oneCall((call, seen) => {
    call.on('confirmed', () => seen.push(`confirmed while ${call.state}`));
  });
  assert.deepEqual(one.seen, ['confirmed while confirmed']);
  assert.ok(delivered.get(one.call._native.key).includes('confirmed'));
});

test("an account's MESSAGEs cross only while it has a 'message' listener; SIPp gets 200 either way", { timeout: 40000 }, async () => {
  const sendOne = async () => {
    const run = await runSipp({ scenario: 'uac_message.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), timeoutMs: 15000 });
    assert.equal(run.code, 0, run.errors);
  };
  await sendOne();
  assert.equal(messagesDelivered, 0);

  const got = [];
  const onMessage = (msg) => got.push(msg);
  account.on('message', onMessage);
  await sendOne();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(messagesDelivered, 1);
  assert.equal(got.length, 1);
  assert.match(got[0].body, /^hello from sipp/);

  account.removeListener('message', onMessage);
  await sendOne();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(messagesDelivered, 1);
});
