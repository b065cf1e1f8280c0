'use strict';

// Calls that fail, and calls used wrongly: each failure ends in
// 'disconnected' with its status visible to the JS, each mistake is a clear
// error (TypeError/RangeError for arguments, ERR_SIPSTER_STATE or ERR_PJSIP
// naming the operation otherwise), and the process goes on.

// One test below holds the main thread while pjsip ends a call: that needs
// pjsip on a thread of its own, as SIPSTER_SIGNALLING=threads gives.
process.env.SIPSTER_SIGNALLING = 'threads';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startSipp } = require('../harness/sipp');
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');
const { record, waitUntil, CALL_EVENTS } = require('./helpers/events');
const { startPeer } = require('./helpers/peer');
const { loopbackAccount } = require('./helpers/loopback');
const { TYPE, VALUE } = require('./helpers/errors');

// A limit of 4 calls (pjproject's stock one), whatever the build allows:
// the tests of the limit place one call more than it.
sipster.init({ logConfig: { level: 0, consoleLevel: 0 }, uaConfig: { maxCalls: 4 } });

let transport;
let account;

before(async () => {
  ({ transport, account } = loopbackAccount(sipster, { idUri: 'sip:errors@127.0.0.1', port: await freePort() }));
  sipster.start();
});

after(() => {
  account.delete();
  transport.close();
  sipster.shutdown();
});

const stateNames = (events) => events.events.filter((e) => e.name === 'state').map((e) => e.args[0]);

// Places a call to a SIPp UAS running `scenario`; resolves with the call,
// its events and SIPp.
async function callSipp(scenario, opts = {}) {
  const port = await freePort();
  const sipp = await startSipp({ scenario, localPort: port, timeoutMs: 20000, ...opts });
  const call = account.makeCall(`sip:callee@127.0.0.1:${port}`);
  return { call, events: record(call, CALL_EVENTS), sipp };
}

// ---- failures ------------------------------------------------------------------

for (const [scenario, code, reason] of [
  ['uas_busy.xml', 486, 'Busy Here'],
  ['uas_notfound.xml', 404, 'Not Found'],
]) {
  test(`a call answered ${code} ends 'disconnected' with status ${code}`, { timeout: 30000 }, async () => {
    const { call, events, sipp } = await callSipp(scenario);
    const [info] = await events.waitFor('disconnected');
    assert.equal(info.lastStatusCode, code);
    assert.equal(info.lastReason, reason);
    assert.deepEqual(stateNames(events), ['calling', 'disconnected']);
    assert.equal(call.getInfo().lastStatusCode, code);
    assert.equal(call.connDuration, 0);
    assert.equal(call.isActive, false);
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp expected an ACK\n${result.errors}`);
    const msgs = parseMessages(result.messages);
    assert.equal(findMessages(msgs, { direction: 'sent', status: code }).length >= 1, true);
    assert.equal(findMessages(msgs, { direction: 'received', method: 'ACK' }).length >= 1, true);
  });
}

test('no answer, then hangup(): CANCEL on the wire, the call ends as 487', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_ring_noanswer.xml');
  const [early] = await events.waitFor('early');
  assert.equal(early.lastStatusCode, 180);
  call.hangup(); // pjsua's choice: CANCEL, reported as 487
  const [info] = await events.waitFor('disconnected');
  assert.equal(info.lastStatusCode, 487);
  assert.deepEqual(stateNames(events), ['calling', 'early', 'disconnected']);
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp expected a CANCEL\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  const [cancel] = findMessages(msgs, { direction: 'received', method: 'CANCEL' });
  const [invite] = findMessages(msgs, { direction: 'received', method: 'INVITE' });
  assert.ok(cancel, 'no CANCEL');
  assert.equal(header(cancel, 'call-id'), header(invite, 'call-id'));
  assert.equal(cancel.cseq, invite.cseq);
  assert.equal(findMessages(msgs, { direction: 'sent', status: 487 }).length >= 1, true);
  assert.equal(findMessages(msgs, { direction: 'received', method: 'ACK' }).length, 1);
});

test('the remote side hangs up: a BYE ends the call, answered 200', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer_hangup.xml', { duration: 500 });
  await events.waitFor('confirmed');
  const [info] = await events.waitFor('disconnected');
  assert.equal(info.lastStatusCode, 200);
  assert.deepEqual(stateNames(events), ['calling', 'early', 'connecting', 'confirmed', 'disconnected']);
  assert.ok(call.connDuration >= 0.4, `connDuration ${call.connDuration}`);
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp's BYE failed\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  assert.equal(findMessages(msgs, { direction: 'sent', method: 'BYE' }).length, 1);
  assert.equal(findMessages(msgs, { direction: 'received', status: 200, cseqMethod: 'BYE' }).length, 1);
});

// ---- bad input -----------------------------------------------------------------

test('makeCall(): wrong types, bad headers and malformed URIs are refused, no call is left', { timeout: 10000 }, () => {
  const dest = 'sip:nobody@127.0.0.1:9';
  const typeErrors = [
    [() => account.makeCall(), /destination must be a string, got undefined/],
    [() => account.makeCall(42), /destination must be a string, got number 42/],
    [() => account.makeCall({ uri: dest }), /destination must be a string, got an object/],
    [() => account.makeCall(dest, 'X-A: 1'), /options must be an object/],
    [() => account.makeCall(dest, { headers: ['X-A: 1'] }), /options\.headers must be an object/],
    [() => account.makeCall(dest, { headers: { 'X-A': 1 } }), /options\.headers\['X-A'\] must be a string/],
  ];
  for (const [op, message] of typeErrors) {
    assert.throws(op, TYPE(message));
  }
  // The right type with a value no call can take.
  const valueErrors = [
    [() => account.makeCall(''), /makeCall: destination must be a SIP URI/],
    [() => account.makeCall(`${dest}\r\nX-Injected: 1`), /makeCall: destination must not contain CR, LF or NUL/],
    [() => account.makeCall(dest, { headers: { 'X Bad': 'v' } }), /'X Bad' is not a valid SIP header name/],
    [() => account.makeCall(dest, { headers: { 'X-A': 'v\r\nX-Injected: 1' } }), /value of 'X-A' must not contain CR, LF or NUL/],
  ];
  for (const [op, message] of valueErrors) {
    assert.throws(op, VALUE(message));
  }
  for (const uri of ['not a uri', 'sip:', 'sip:bob@', '<sip:bob@127.0.0.1', 'sip:bob@[::1', 'http://example.com/']) {
    assert.throws(() => account.makeCall(uri), (err) => {
      assert.equal(err.name, 'Error', uri);
      assert.equal(err.code, 'ERR_PJSIP', uri);
      assert.equal(typeof err.status, 'number');
      assert.ok(err.status > 0);
      assert.match(err.message, /^Account\.makeCall: .*URI/, uri);
      return true;
    });
  }
  assert.equal(sipster.callCount, 0);
});

test('Account constructor and methods: wrong types name the field', () => {
  const fieldErrors = [
    [() => new sipster.Account(), /accountConfig must be an object, got undefined/],
    [() => new sipster.Account('sip:a@127.0.0.1'), /accountConfig must be an object/],
    [() => new sipster.Account({ idUri: 5 }), /field 'idUri' must be a string/],
    [() => new sipster.Account({ idUri: 'sip:a@127.0.0.1', regConfig: { timeoutSec: '60' } }), /field 'regConfig\.timeoutSec' must be a number/],
    [() => new sipster.Account({ idUri: 'sip:a@127.0.0.1', sipConfig: { authCreds: [{ username: 7 }] } }), /authCreds.*username/],
    [() => new sipster.Account({ idUri: 'sip:a@127.0.0.1', sipConfig: { transport: 'udp' } }), /sipConfig\.transport must be a Transport/],
    [() => new sipster.Account({ idUri: 'sip:a@127.0.0.1' }, 'yes'), /isDefault must be a boolean/],
  ];
  for (const [op, message] of fieldErrors) {
    assert.throws(op, TYPE(message));
  }
  assert.throws(() => new sipster.Account({ idUri: 'not a uri' }), {
    name: 'Error', code: 'ERR_PJSIP', message: /^new Account: Invalid URI/,
  });
  assert.throws(() => account.setRegistration('yes'), { name: 'TypeError', message: /renew must be a boolean/ });
  assert.throws(() => account.setTransport({}), { name: 'TypeError', message: /transport must be a Transport/ });
  assert.throws(() => account.modify({ idUri: 5 }), { name: 'TypeError', message: /field 'idUri' must be a string/ });
  assert.throws(() => new sipster.Call({}), { name: 'TypeError', message: /Call objects come from/ });
  assert.equal(account.valid, true);
});

test('new Account() without a SIP transport is an error, not an abort', { timeout: 20000 }, async () => {
  // pjsua_acc_add() asserts that a transport exists: it must not take the
  // process down. A process of its own, as this one has its transport.
  const peer = await startPeer();
  try {
    const outcome = await peer.run(({ sipster: s }) => {
      s.init({ logConfig: { level: 0, consoleLevel: 0 } });
      s.start();
      const result = {};
      try {
        new s.Account({ idUri: 'sip:early@127.0.0.1' });
      } catch (err) {
        result.before = { name: err.name, code: err.code, status: err.status, message: err.message };
      }
      const transport = new s.Transport({ port: 0, boundAddress: '127.0.0.1' });
      const account = new s.Account({ idUri: 'sip:late@127.0.0.1' });
      result.after = account.valid;
      account.delete();
      transport.close();
      return result;
    });
    assert.deepEqual(outcome.before, {
      name: 'Error',
      code: 'ERR_PJSIP',
      status: 70013, // PJ_EINVALIDOP
      message: outcome.before.message,
    });
    assert.match(outcome.before.message, /^new Account: no SIP transport: create a Transport first/);
    assert.equal(outcome.after, true);
  } finally {
    const exit = await peer.stop();
    assert.equal(exit.code, 0, exit.stderr);
    assert.doesNotMatch(exit.stderr, /Assertion/);
  }
});

test('Call methods: wrong arguments on a live call are refused and the call goes on', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer.xml', { duration: 0 });
  try {
    await events.waitFor('confirmed');
    const wrong = [
      ['TypeError', () => call.answer('200'), /statusCode must be an integer, got string 200/],
      ['TypeError', () => call.hangup(1.5), /statusCode must be an integer/],
      ['RangeError', () => call.hangup(99), /Call\.hangup: statusCode must be from 200 to 699, got 99/],
      ['RangeError', () => call.answer(700), /Call\.answer: statusCode must be from 100 to 699, got 700/],
      ['TypeError', () => call.hangup(486, 42), /reason must be a string/],
      ['TypeError', () => call.hangup(486, 'Busy\r\nX-Injected: 1'), /reason must not contain CR, LF or NUL/],
      ['TypeError', () => call.hold('now'), /options must be an object/],
      ['TypeError', () => call.reinvite({ headers: { 'X-A': null } }), /options\.headers\['X-A'\] must be a string/],
      ['TypeError', () => call.update({ headers: { 'X-B': 'a\nb' } }), /value of 'X-B' must not contain CR, LF or NUL/],
      ['TypeError', () => call.transfer(), /destination must be a string/],
      ['TypeError', () => call.transfer(''), /Call\.transfer: destination must be a SIP URI/],
      ['TypeError', () => call.transfer('sip:carol@127.0.0.1\r\nX-Injected: 1'), /Call\.transfer: destination must not contain CR, LF or NUL/],
      ['TypeError', () => call.dtmf(5), /digits must be a string, got number 5/],
      ['TypeError', () => call.dtmf('12x'), /Call\.dtmf: digits must be 0-9, \*, # or A-D, got '12x'/],
      ['TypeError', () => call.dtmf(''), /Call\.dtmf: digits must be/],
      ['TypeError', () => call.getStatsDump('yes'), /inclMediaStats must be a boolean/],
    ];
    for (const [name, op, message] of wrong) {
      assert.throws(op, (err) => {
        assert.equal(err.name, name, String(op));
        assert.match(err.message, message);
        return true;
      });
    }
    // Refused by pjsip: answer() on an outgoing call, a malformed Refer-To.
    assert.throws(() => call.answer(), { code: 'ERR_PJSIP', status: 70013, message: /^Call\.answer: / });
    for (const target of ['not a uri', 'sip:', '<sip:carol@127.0.0.1']) {
      assert.throws(() => call.transfer(target), (err) => {
        assert.equal(err.code, 'ERR_PJSIP');
        assert.match(err.message, /^Call\.transfer: .* is not a valid URI/);
        return true;
      });
    }
    assert.match(call.getStatsDump(), /CONFIRMED/);

    // None of it went on the wire; the call is still up and ends normally.
    assert.equal(call.state, 'confirmed');
    assert.equal(call.isActive, true);
    call.hangup();
    await events.waitFor('disconnected');
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
    const received = parseMessages(result.messages).filter((m) => m.direction === 'received' && m.method);
    assert.deepEqual(received.map((m) => m.method), ['INVITE', 'ACK', 'BYE']);
    assert.equal(received.some((m) => /X-Injected/i.test(m.raw)), false);
  } finally {
    await sipp.stop();
  }
});

test('a call the far end has just hung up, before JS heard of it: every method throws ERR_SIPSTER_STATE', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer_hangup.xml', { duration: 300 });
  await events.waitFor('confirmed');
  // Hold the main thread while SIPp's BYE arrives: pjsip ends the call on
  // its own thread, and the 'disconnected' event waits in the queue.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  assert.equal(call.state, 'confirmed', "'disconnected' is not delivered yet");
  for (const [name, op] of [
    ['answer', () => call.answer()],
    ['hangup', () => call.hangup()],
    ['hold', () => call.hold()],
    ['dtmf', () => call.dtmf('1')],
    ['getStatsDump', () => call.getStatsDump()],
  ]) {
    assert.throws(op, { code: 'ERR_SIPSTER_STATE', message: new RegExp(`^Call\\.${name}: the call has ended`) }, name);
  }
  await events.waitFor('disconnected');
  await sipp.done;
});

test('an ended call: properties and the final stats still read, every other method throws naming itself', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer_hangup.xml', { duration: 300 });
  await events.waitFor('disconnected');
  await sipp.done;

  assert.equal(call.state, 'disconnected');
  assert.equal(call.isActive, false);
  assert.equal(call.hasMedia, false);
  assert.ok(call.connDuration > 0, `connDuration ${call.connDuration}`);
  assert.ok(call.totalDuration > call.connDuration, `totalDuration ${call.totalDuration}`);
  const info = call.getInfo();
  assert.equal(info.state, 'disconnected');
  assert.equal(info.lastStatusCode, 200);
  assert.equal(info.connDuration, call.connDuration);
  // A second read gives the same final numbers (the clock stopped).
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(call.totalDuration, info.totalDuration);
  assert.match(call.getStatsDump(), /Call time:/);

  for (const [name, op] of [
    ['answer', () => call.answer()],
    ['hangup', () => call.hangup()],
    ['hold', () => call.hold()],
    ['reinvite', () => call.reinvite()],
    ['update', () => call.update()],
    ['transfer', () => call.transfer('sip:carol@127.0.0.1')],
    ['dtmf', () => call.dtmf('1')],
  ]) {
    assert.throws(op, (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.code, 'ERR_SIPSTER_STATE', `${name}: ${err.code}`);
      assert.match(err.message, new RegExp(`^Call\\.${name}: the call has ended`));
      assert.equal(typeof err.status, 'number');
      return true;
    });
  }
  // Argument checks still come first; ref()/unref() are harmless.
  assert.throws(() => call.dtmf(1), { name: 'TypeError' });
  call.ref();
  call.unref();
});

test('shutdown() with a call up: the peer gets a BYE, the Call then reads as ended and its methods throw', { timeout: 30000 }, async () => {
  const port = await freePort();
  const sipp = await startSipp({ scenario: 'uas_answer.xml', localPort: port, duration: 0, timeoutMs: 20000 });
  const peer = await startPeer();
  try {
    const outcome = await peer.run(async ({ sipster: s }, sippPort) => {
      s.init({ logConfig: { level: 0, consoleLevel: 0 } });
      const transport = new s.Transport({ port: 0, boundAddress: '127.0.0.1' });
      const account = new s.Account({ idUri: 'sip:late@127.0.0.1', mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } } });
      s.start();
      const call = account.makeCall(`sip:bob@127.0.0.1:${sippPort}`);
      await new Promise((resolve) => call.once('confirmed', resolve));
      s.shutdown();
      const errors = {};
      for (const name of ['hangup', 'answer', 'hold', 'reinvite', 'update', 'dtmf', 'getStatsDump']) {
        try {
          call[name](name === 'dtmf' ? '1' : undefined);
        } catch (err) {
          errors[name] = `${err.code} ${err.message}`;
        }
      }
      try {
        call.transfer('sip:carol@127.0.0.1');
      } catch (err) {
        errors.transfer = `${err.code} ${err.message}`;
      }
      transport.unref();
      account.unref();
      return { errors, state: call.state, isActive: call.isActive, hasMedia: call.hasMedia, info: call.getInfo().state, connDuration: call.connDuration };
    }, port);
    for (const name of ['hangup', 'answer', 'hold', 'reinvite', 'update', 'dtmf', 'getStatsDump', 'transfer']) {
      assert.equal(outcome.errors[name], `ERR_SIPSTER_STATE Call.${name}: the call has ended`);
    }
    assert.equal(outcome.state, 'disconnected');
    assert.equal(outcome.info, 'disconnected');
    assert.equal(outcome.isActive, false);
    assert.equal(outcome.hasMedia, false);
    assert.ok(outcome.connDuration >= 0);
    // libDestroy hung the call up: SIPp got its BYE and ends its call.
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
    assert.equal(findMessages(parseMessages(result.messages), { direction: 'received', method: 'BYE' }).length, 1);
  } finally {
    const exit = await peer.stop();
    assert.equal(exit.code, 0, exit.stderr);
    assert.doesNotMatch(exit.stderr, /Assertion|Segmentation|panicked/);
    await sipp.stop();
  }
});

test('makeCall() beyond maxCalls fails cleanly; hangupAllCalls() ends the rest', { timeout: 40000 }, async () => {
  const max = sipster.maxCalls;
  const port = await freePort();
  const sipp = await startSipp({ scenario: 'uas_answer.xml', localPort: port, calls: max, duration: 0, timeoutMs: 30000 });
  const placed = [];
  try {
    for (let i = 0; i < max; i++) {
      const call = account.makeCall(`sip:callee${i}@127.0.0.1:${port}`);
      placed.push({ call, events: record(call, CALL_EVENTS) });
    }
    for (const { events } of placed) await events.waitFor('confirmed');
    assert.equal(sipster.callCount, max);

    assert.throws(() => account.makeCall(`sip:one-too-many@127.0.0.1:${port}`), (err) => {
      assert.equal(err.code, 'ERR_PJSIP');
      assert.equal(err.status, 70010); // PJ_ETOOMANY
      assert.match(err.message, /^Account\.makeCall: /);
      return true;
    });
    assert.equal(sipster.callCount, max);
    assert.ok(placed.every(({ call }) => call.state === 'confirmed'));

    sipster.hangupAllCalls();
    for (const { events } of placed) await events.waitFor('disconnected');
    await waitUntil(() => sipster.callCount === 0, 5000, 'callCount 0');
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp: ${JSON.stringify(result.stats)}\n${result.errors}`);
    assert.equal(result.stats.successful, max);
    const msgs = parseMessages(result.messages);
    assert.equal(findMessages(msgs, { direction: 'received', method: 'INVITE' }).length, max);
    assert.equal(findMessages(msgs, { direction: 'received', method: 'BYE' }).length, max);
  } finally {
    await sipp.stop();
  }
});
