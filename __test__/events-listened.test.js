'use strict';

// The native side copies and sends only the call events that have
// listeners, and always the end of the call. What crosses is counted by
// wrapping the handlers index.js gives the native init(), before index.js
// loads (as bench/sipster-uas.js does); SIPp calls sipster.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const native = require(path.join(__dirname, '..', 'sipster.node'));

// States of callState events as they reach index.js, by call key, the
// identity parameters of each (localUri ... srcAddress, null where
// unchanged), and the MESSAGEs that reach it.
const delivered = new Map();
const identities = new Map();
let messagesDelivered = 0;
const realInit = native.init;
native.init = function init(config, logToHandlers, handlers, options) {
  const counted = {
    ...handlers,
    callState(callKey, state, ...rest) {
      if (!delivered.has(callKey)) delivered.set(callKey, []);
      delivered.get(callKey).push(state);
      if (!identities.has(callKey)) identities.set(callKey, []);
      identities.get(callKey).push(rest.slice(8));
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
const { freePort } = require('../harness/ports');
const { runSipp, startSipp } = require('../harness/sipp');
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

test("states copied while the 'call' handler ran, which no listener wants once it returned, do not reach JS", { timeout: 30000 }, async () => {
  const localPort = await freePort();
  const done = new Promise((resolve) => {
    account.once('call', (info, call) => {
      const states = [];
      call.on('disconnected', () => resolve({ call, states, stateAtEnd: call.state }));
      call.on('confirmed', () => states.push(`confirmed while ${call.state}`));
      // Answered inside the handler: pjsip raises 'connecting' before the
      // listeners are known, so the shim copies it.
      call.answer(200);
    });
  });
  const sipp = runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${sipPort}`, localPort, duration: 300, timeoutMs: 20000 });
  const [{ call, states, stateAtEnd }, run] = await Promise.all([done, sipp]);
  assert.equal(run.stats.successful, 1, run.stderr);
  assert.deepEqual(delivered.get(call._native.key), ['confirmed', 'disconnected']);
  assert.deepEqual(states, ['confirmed while confirmed']);
  assert.equal(stateAtEnd, 'disconnected');
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

test('a listener removed, or a once() listener that fired, stops its state from crossing', { timeout: 30000 }, async () => {
  // 'state' is removed in 'connecting': 'confirmed' must then stay on the
  // native side. A once('connecting') listener is gone after it fired.
  const { call, seen } = await oneCall((c, log) => {
    const onState = (state) => log.push(`state ${state}`);
    c.on('state', onState);
    c.once('connecting', () => {
      log.push('connecting once');
      c.off('state', onState);
    });
  });
  assert.deepEqual(seen, ['state incoming', 'state connecting', 'connecting once']);
  const states = delivered.get(call._native.key);
  assert.ok(states.includes('connecting'), `delivered: ${states}`);
  assert.ok(!states.includes('confirmed'), `delivered: ${states}`);
  assert.equal(states.at(-1), 'disconnected');
  assert.equal(call.listenerCount('connecting'), 0);
});

test("a call's Media objects are made when first asked for, the same ones each time, and closed once the call ended", { timeout: 30000 }, async () => {
  let whileUp = null;
  const { call } = await oneCall((c) => {
    c.on('confirmed', () => {
      whileUp = c.medias;
    });
  });
  // No 'media' listener: the audio arrived all the same, and `medias` made it.
  assert.equal(whileUp.length, 1);
  assert.ok(whileUp[0] instanceof sipster.Media);
  const atEnd = call.medias;
  assert.equal(atEnd[0], whileUp[0]);
  await assert.rejects(atEnd[0].waitForEof({ timeout: 1000 }), { code: 'ERR_SIPSTER_STATE' });

  // Never asked for while the call was up: made after its end, closed.
  const late = await oneCall(() => {});
  const medias = late.call.medias;
  assert.equal(medias.length, 1);
  assert.equal(late.call.medias[0], medias[0]);
  await assert.rejects(medias[0].waitForEof({ timeout: 1000 }), { code: 'ERR_SIPSTER_STATE' });
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

const IDENTITY = ['localUri', 'localContact', 'remoteUri', 'remoteContact', 'callId', 'srcAddress'];

test("an incoming call's identity crosses once, in 'call'; every state's info still has it", { timeout: 30000 }, async () => {
  let callInfo = null;
  account.once('call', (info) => {
    callInfo = info;
  });
  const { call, seen } = await oneCall((c, infos) => c.on('state', (state, info) => infos.push(info)));
  const crossed = identities.get(call._native.key);
  assert.ok(crossed.length >= 3, `callState events: ${crossed.length}`);
  for (const params of crossed) assert.deepEqual(params, [null, null, null, null, null, null]);
  assert.match(callInfo.callId, /./);
  assert.match(callInfo.remoteUri, /<sip:sipp@127\.0\.0\.1>/);
  for (const info of seen) {
    for (const field of IDENTITY) assert.equal(info[field], callInfo[field], `${info.state}: ${field}`);
  }
  assert.equal(call.getInfo().callId, callInfo.callId);
});

test("an outgoing call's identity crosses in its first state, then only what changed (the remote contact)", { timeout: 30000 }, async () => {
  const sippPort = await freePort();
  const sipp = await startSipp({ scenario: 'uas_answer.xml', localPort: sippPort, duration: 0 });
  try {
    const call = account.makeCall(`sip:bob@127.0.0.1:${sippPort}`);
    const infos = [];
    call.on('state', (state, info) => infos.push(info));
    await new Promise((resolve) => call.once('confirmed', resolve));
    call.hangup();
    await new Promise((resolve) => call.once('disconnected', resolve));
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);

    const crossed = identities.get(call._native.key);
    assert.equal(delivered.get(call._native.key)[0], 'calling');
    const [localUri, , remoteUri, remoteContact, callId] = crossed[0];
    assert.equal(remoteUri, `sip:bob@127.0.0.1:${sippPort}`);
    assert.match(localUri, /sip:127\.0\.0\.1/);
    assert.match(callId, /./);
    assert.equal(remoteContact, null, 'no remote contact before a response');
    const later = crossed.slice(1).flat().filter((v) => v !== null);
    assert.deepEqual(later, [`<sip:127.0.0.1:${sippPort};transport=UDP>`], 'after the first state: the remote contact, once');

    const last = infos.at(-1);
    assert.equal(last.state, 'disconnected');
    assert.equal(last.callId, callId);
    assert.equal(last.remoteUri, remoteUri);
    assert.equal(last.remoteContact, `<sip:127.0.0.1:${sippPort};transport=UDP>`);
    assert.equal(infos[0].remoteContact, '');
  } finally {
    await sipp.stop();
  }
});
