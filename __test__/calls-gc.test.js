'use strict';

// Garbage collection must not touch a call: with every reference to a live
// Call dropped and gc() forced again and again, the call stays up until the
// peer hangs up (the 2015 binding hung up collected calls). Once it ended,
// the Call object can be collected like any other.
//
// gc() comes from V8 itself: --expose-gc set at run time, then taken from a
// fresh context (node --test gives no way to pass the flag to this file).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { runSipp, startSipp } = require('../harness/sipp');
const { parseMessages, findMessages } = require('./helpers/sip-trace');
const { record, waitUntil, sleep, CALL_EVENTS } = require('./helpers/events');
const { loopbackAccount } = require('./helpers/loopback');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });

let sipPort;
let transport;
let account;

before(async () => {
  sipPort = await freePort();
  ({ transport, account } = loopbackAccount(sipster, { idUri: 'sip:gc@127.0.0.1', port: sipPort }));
  sipster.start();
});

after(() => {
  account.delete();
  transport.close();
  sipster.shutdown();
});

const collected = new Set();
const registry = new FinalizationRegistry((tag) => collected.add(tag));

// Full collections, with turns of the event loop in between (a WeakRef
// target stays alive until the end of the job that created or read it).
async function collectFor(ms, onTick = () => {}) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    gc();
    onTick();
    await sleep(50);
  }
}

test('a placed call whose every reference was dropped stays up through gc() until the peer hangs up', { timeout: 30000 }, async () => {
  const sippPort = await freePort();
  // SIPp answers, talks 3 s, then sends BYE.
  const sipp = await startSipp({ scenario: 'uas_answer_hangup.xml', localPort: sippPort, duration: 3000, timeoutMs: 20000 });

  // The only things kept: the recorded events and a weak reference.
  const { events, weak } = (() => {
    const call = account.makeCall(`sip:bob@127.0.0.1:${sippPort}`);
    registry.register(call, 'uac');
    return { events: record(call, CALL_EVENTS), weak: new WeakRef(call) };
  })();

  await events.waitFor('confirmed');
  const confirmedAt = Date.now();
  let countDuringCall = Infinity;
  await collectFor(2000, () => {
    countDuringCall = Math.min(countDuringCall, sipster.callCount);
  });
  assert.equal(countDuringCall, 1, 'the call was gone while SIPp still talked');
  assert.ok(!collected.has('uac'), 'a live call was collected');
  assert.ok(!events.names().includes('disconnected'), 'the call ended during gc()');

  const [ended] = await events.waitFor('disconnected', undefined, 10000);
  assert.ok(Date.now() - confirmedAt >= 2500, `ended after ${Date.now() - confirmedAt} ms`);
  assert.equal(ended.lastStatusCode, 200);
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  // SIPp hung up (its BYE got a 200); sipster never sent a BYE of its own.
  assert.equal(findMessages(msgs, { direction: 'sent', method: 'BYE' }).length, 1);
  assert.equal(findMessages(msgs, { direction: 'received', status: 200, cseqMethod: 'BYE' }).length, 1);
  assert.equal(findMessages(msgs, { direction: 'received', method: 'BYE' }).length, 0);
  assert.equal(sipster.callCount, 0);

  // Ended, the Call is garbage like any object (its native half released
  // on the main thread, without a crash).
  await waitUntil(async () => {
    await collectFor(100);
    return weak.deref() === undefined && collected.has('uac');
  }, 10000, 'the ended call to be collected');
});

test('an answered call whose every reference was dropped stays up through gc() until the caller hangs up', { timeout: 30000 }, async () => {
  let events = null;
  const onCall = (info, call) => {
    registry.register(call, 'uas');
    events = record(call, CALL_EVENTS);
    call.answer();
  };
  account.once('call', onCall);
  // SIPp calls, talks 3 s, then sends BYE.
  const sipp = runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), duration: 3000, timeoutMs: 20000 });
  await waitUntil(() => events, 10000, 'the incoming call');
  await events.waitFor('confirmed');
  const confirmedAt = Date.now();
  await collectFor(2000);
  assert.equal(sipster.callCount, 1);
  assert.ok(!collected.has('uas'), 'a live call was collected');

  const [ended] = await events.waitFor('disconnected', undefined, 10000);
  assert.ok(Date.now() - confirmedAt >= 2500, `ended after ${Date.now() - confirmedAt} ms`);
  assert.equal(ended.lastStatusCode, 200);
  const result = await sipp;
  assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  assert.equal(findMessages(msgs, { direction: 'received', method: 'BYE' }).length, 0);
  assert.equal(findMessages(msgs, { direction: 'received', status: 200, cseqMethod: 'BYE' }).length, 1);
  assert.deepEqual(events.names(['state']), ['state', 'state', 'state', 'state']);
  assert.deepEqual(events.events.filter((e) => e.name === 'state').map((e) => e.args[0]), ['incoming', 'connecting', 'confirmed', 'disconnected']);

  await waitUntil(async () => {
    await collectFor(100);
    return collected.has('uas');
  }, 10000, 'the ended call to be collected');
});
