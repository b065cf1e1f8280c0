'use strict';

// Incoming calls: SIPp calls sipster (sipster is the UAS). Every test checks
// both what the JS saw (events, info fields) and what SIPp saw on the wire
// (its message trace).

const { test } = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { runSipp, startSipp } = require('../harness/sipp');
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');
const { waitUntil, sleep, sdpDirections, sdpAddress } = require('./helpers/events');
const { loopbackUas } = require('./helpers/loopback');
const { rawSipPeer, inviteWithReplaces } = require('./helpers/raw-sip');

// A limit of 4 calls (pjproject's stock one), whatever the build allows:
// the tests of the limit place one call more than it.
sipster.init({ logConfig: { level: 0, consoleLevel: 0 }, uaConfig: { maxCalls: 4 } });

const uas = loopbackUas(sipster, { idUri: 'sip:127.0.0.1' });

function caller(scenario, opts = {}) {
  return freePort().then((localPort) => ({
    localPort,
    done: runSipp({ scenario, remote: `127.0.0.1:${uas.port}`, localPort, timeoutMs: 20000, ...opts }),
  }));
}

// The state names a call reported through 'state', in order.
const stateNames = (events) => events.events.filter((e) => e.name === 'state').map((e) => e.args[0]);

test('SIPp calls, sipster rings (180) and answers (200), SIPp hangs up', { timeout: 30000 }, async () => {
  const next = uas.calls.next();
  const sipp = await caller('uac_call.xml', { service: 'ivr', duration: 1000 });
  const { info, call, events } = await next;

  assert.ok(call instanceof sipster.Call);
  assert.equal(call.state, 'incoming');
  assert.equal(info.srcAddress, `127.0.0.1:${sipp.localPort}`);
  assert.match(info.remoteUri, /<sip:sipp@127\.0\.0\.1(:\d+)?>/);
  assert.equal(info.remoteContact, `<sip:sipp@127.0.0.1:${sipp.localPort}>`);
  assert.match(info.localUri, /<sip:ivr@127\.0\.0\.1(:\d+)?>/);
  assert.equal(info.localContact, `<sip:127.0.0.1:${uas.port}>`);
  assert.ok(info.callId.length > 0);
  assert.deepEqual(Object.keys(info).sort(), ['callId', 'headers', 'localContact', 'localUri', 'remoteContact', 'remoteUri', 'srcAddress', 'wholeMsg']);
  assert.equal(call.getInfo().role, 'uas');
  assert.equal(call.isActive, true);

  call.answer(180, undefined, { headers: { 'X-Ring': 'early-1', 'X-Both': 'ringing' } });
  const [earlyInfo] = await events.waitFor('early');
  assert.equal(earlyInfo.lastStatusCode, 180);
  call.answer(200, 'Welcome', { headers: { 'X-Answer': 'yes', 'X-Both': 'answered' } });
  const [confirmedInfo] = await events.waitFor('confirmed');
  assert.equal(confirmedInfo.lastStatusCode, 200);
  assert.equal(sipster.callCount, 1);
  assert.equal(call.isActive, true);
  const [media] = await events.waitFor('media');
  assert.equal(media.length, 1);
  assert.equal(media[0].dir, 'bidirectional');

  const [endInfo] = await events.waitFor('disconnected', undefined, 15000);
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);

  // The JS saw every state, in order, each also as its own event.
  assert.deepEqual(stateNames(events), ['incoming', 'early', 'connecting', 'confirmed', 'disconnected']);
  assert.deepEqual(
    events.names(['incoming', 'early', 'connecting', 'confirmed', 'disconnected']),
    ['incoming', 'early', 'connecting', 'confirmed', 'disconnected'],
  );
  assert.equal(endInfo.state, 'disconnected');
  assert.equal(endInfo.callId, info.callId);
  assert.equal(endInfo.role, 'uas');

  // The wire: 180 and 200 carry their headers, the 200 an SDP answer on 127.0.0.1.
  const msgs = parseMessages(result.messages);
  const [invite] = findMessages(msgs, { direction: 'sent', method: 'INVITE' });
  assert.equal(header(invite, 'call-id'), info.callId);
  const [ringing] = findMessages(msgs, { direction: 'received', status: 180 });
  assert.equal(header(ringing, 'x-ring'), 'early-1');
  const [ok] = findMessages(msgs, { direction: 'received', status: 200, cseqMethod: 'INVITE' });
  assert.equal(ok.reason, 'Welcome');
  assert.equal(header(ok, 'x-answer'), 'yes');
  // pjsip builds each answer from the previous one; the 180's headers must
  // not come back on the 200, nor twice when given to both.
  assert.deepEqual(ringing.headers['x-both'], ['ringing']);
  assert.equal(header(ok, 'x-ring'), undefined);
  assert.deepEqual(ok.headers['x-both'], ['answered']);
  assert.deepEqual(sdpDirections(ok.body), ['sendrecv']);
  assert.equal(sdpAddress(ok.body), '127.0.0.1');
  assert.equal(findMessages(msgs, { direction: 'received', status: 200, cseqMethod: 'BYE' }).length, 1);

  // An ended call: its properties still read, its methods throw.
  assert.equal(call.state, 'disconnected');
  assert.equal(call.isActive, false);
  assert.equal(call.hasMedia, false);
  assert.ok(call.connDuration >= 0.9 && call.connDuration < 5, `connDuration ${call.connDuration}`);
  assert.ok(call.totalDuration >= call.connDuration, `totalDuration ${call.totalDuration}`);
  assert.equal(call.getInfo().state, 'disconnected');
  assert.throws(() => call.answer(), { code: 'ERR_SIPSTER_STATE', message: /Call\.answer/ });
  assert.throws(() => call.hangup(), { code: 'ERR_SIPSTER_STATE', message: /Call\.hangup/ });
  assert.equal(sipster.callCount, 0);
});

test('sipster hangs up an answered call: SIPp gets the BYE, the JS the given code', { timeout: 30000 }, async () => {
  const next = uas.calls.next();
  const sipp = await caller('uac_call_wait_bye.xml');
  const { call, events } = await next;
  call.answer();
  await events.waitFor('confirmed');
  call.hangup(503, 'Maintenance', { headers: { 'X-Hangup-Cause': 'ivr-done' } });
  const [endInfo] = await events.waitFor('disconnected');
  // (a BYE carries no status: the code is what the JS reports)
  assert.equal(endInfo.lastStatusCode, 503);

  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  const byes = findMessages(msgs, { direction: 'received', method: 'BYE' });
  assert.equal(byes.length, 1);
  assert.equal(header(byes[0], 'x-hangup-cause'), 'ivr-done');
  assert.equal(header(byes[0], 'call-id'), endInfo.callId);
  assert.equal(findMessages(msgs, { direction: 'sent', status: 200, cseqMethod: 'BYE' }).length, 1);
  assert.deepEqual(stateNames(events), ['incoming', 'connecting', 'confirmed', 'disconnected']);
});

test('sipster rejects a ringing call with hangup(486): SIPp gets the 486', { timeout: 30000 }, async () => {
  const next = uas.calls.next();
  const sipp = await caller('uac_call_reject.xml');
  const { call, events } = await next;
  call.answer(180, undefined, { headers: { 'X-Ring': 'early-1' } });
  await events.waitFor('early');
  call.hangup(486, 'Busy Here', { headers: { 'X-Reject': 'line-busy' } });
  const [endInfo] = await events.waitFor('disconnected');
  assert.equal(endInfo.lastStatusCode, 486);
  assert.equal(call.connDuration, 0);

  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp expected a rejection\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  const finals = findMessages(msgs, { direction: 'received', cseqMethod: 'INVITE' }).filter((m) => m.status >= 200);
  assert.equal(finals[0].status, 486);
  assert.equal(finals[0].reason, 'Busy Here');
  assert.equal(header(finals[0], 'x-reject'), 'line-busy');
  assert.equal(header(finals[0], 'x-ring'), undefined, "the 180's header is not repeated on the 486");
  assert.equal(findMessages(msgs, { direction: 'received', status: 200 }).length, 0);
  assert.deepEqual(stateNames(events), ['incoming', 'early', 'disconnected']);
});

test('the caller gives up while sipster rings: CANCEL ends the call with 487', { timeout: 30000 }, async () => {
  const next = uas.calls.next();
  const sipp = await caller('uac_call_cancel.xml', { duration: 300 });
  const { call, events } = await next;
  call.answer(180);
  const [endInfo] = await events.waitFor('disconnected');
  assert.equal(endInfo.lastStatusCode, 487);
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp's CANCEL failed\n${result.errors}`);
  const msgs = parseMessages(result.messages);
  assert.equal(findMessages(msgs, { direction: 'sent', method: 'CANCEL' }).length, 1);
  assert.equal(findMessages(msgs, { direction: 'received', status: 487 }).length >= 1, true);
  assert.deepEqual(stateNames(events), ['incoming', 'early', 'disconnected']);
  assert.throws(() => call.answer(200), { code: 'ERR_SIPSTER_STATE', message: /Call\.answer/ });
});

test('RFC 2833 digits from SIPp arrive as dtmf events, in order', { timeout: 30000 }, async () => {
  const next = uas.calls.next();
  const sipp = await caller('uac_call_dtmf.xml', { duration: 500 });
  const { call, events } = await next;
  call.answer();
  await events.waitFor('disconnected', undefined, 15000);
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
  const digits = events.events.filter((e) => e.name === 'dtmf');
  assert.deepEqual(digits.map((e) => e.args[0]), ['1', '2', '3']);
  // The digits came while the call was up.
  const confirmedAt = events.events.find((e) => e.name === 'confirmed').at;
  const endedAt = events.events.find((e) => e.name === 'disconnected').at;
  assert.ok(digits.every((e) => e.at >= confirmedAt && e.at <= endedAt));
});

test('INVITEs beyond maxCalls get a final error; the calls in progress go on', { timeout: 40000 }, async () => {
  const max = sipster.maxCalls;
  assert.ok(Number.isInteger(max) && max >= 1, `maxCalls ${max}`);
  const answered = [];
  let peak = 0;
  const onCall = (info, call) => {
    answered.push(call);
    call.on('confirmed', () => {
      peak = Math.max(peak, sipster.callCount);
    });
    call.answer();
  };
  // The queue of the other tests must not see these calls.
  uas.account.prependListener('call', onCall);
  const queued = uas.calls.pending;
  try {
    const sipp = await caller('uac_call.xml', { calls: max + 1, rate: 50, duration: 2500, timeoutMs: 30000 });
    const result = await sipp.done;
    const msgs = parseMessages(result.messages);
    const invites = findMessages(msgs, { direction: 'sent', method: 'INVITE' });
    assert.equal(invites.length, max + 1);
    const finals = findMessages(msgs, { direction: 'received', cseqMethod: 'INVITE' }).filter((m) => m.status >= 200);
    const ok = finals.filter((m) => m.status === 200);
    const rejected = finals.filter((m) => m.status >= 300);
    assert.equal(new Set(ok.map((m) => header(m, 'call-id'))).size, max, 'every call within the limit is answered');
    assert.equal(rejected.length >= 1, true, 'the extra INVITE gets a final error');
    assert.equal(new Set(rejected.map((m) => header(m, 'call-id'))).size, 1);
    assert.equal(rejected[0].status, 486);
    assert.equal(result.stats.successful, max, `SIPp: ${JSON.stringify(result.stats)}`);
    assert.equal(result.stats.failed, 1);

    // Only the calls within the limit reached the JS, all at once.
    assert.equal(answered.length, max);
    assert.equal(peak, max);
    await waitUntil(() => answered.every((c) => c.state === 'disconnected'), 10000, 'every call ended');
    assert.equal(sipster.callCount, 0);
  } finally {
    uas.account.removeListener('call', onCall);
  }
  // (the queue's own listener also saw these calls: drop them)
  while (uas.calls.pending > queued) await uas.calls.next();

  // Below the limit again, a new call is answered.
  const next = uas.calls.next();
  const sipp = await caller('uac_call.xml', { duration: 200 });
  const { call, events } = await next;
  call.answer();
  await events.waitFor('disconnected');
  assert.equal((await sipp.done).code, 0);
});

test('an INVITE with Replaces for a call in progress is declined; the call goes on', { timeout: 30000 }, async () => {
  const next = uas.calls.next();
  const sippPort = await freePort();
  const sipp = await startSipp({ scenario: 'uac_call_wait_bye.xml', remote: `127.0.0.1:${uas.port}`, localPort: sippPort });
  try {
    const { call, events } = await next;
    call.answer();
    const [confirmed] = await events.waitFor('confirmed');
    // The dialog's tags, as SIPp saw them: ours in To, SIPp's in From.
    const [ok] = findMessages(parseMessages(sipp.messages()), { direction: 'received', status: 200, cseqMethod: 'INVITE' });
    const ourTag = /;tag=([^;>\s]+)/.exec(header(ok, 'to'))[1];
    const sippTag = /;tag=([^;>\s]+)/.exec(header(ok, 'from'))[1];

    const peer = await rawSipPeer();
    let final;
    try {
      const { text, ack } = inviteWithReplaces(peer, uas.port, { callId: confirmed.callId, toTag: ourTag, fromTag: sippTag });
      peer.send(text, uas.port);
      final = await peer.waitFor((m) => m.status >= 200, 5000, 'final response');
      peer.send(ack(final), uas.port);
    } finally {
      peer.close();
    }
    assert.equal(final.status, 603);

    // Our call is untouched: still up, no state change, SIPp got no BYE.
    await sleep(300);
    assert.equal(call.state, 'confirmed');
    assert.equal(call.isActive, true);
    assert.deepEqual(stateNames(events), ['incoming', 'connecting', 'confirmed']);
    assert.equal(findMessages(parseMessages(sipp.messages()), { direction: 'received', method: 'BYE' }).length, 0);
    assert.equal(sipster.callCount, 1);

    call.hangup();
    await events.waitFor('disconnected');
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
  } finally {
    await sipp.stop();
  }
});
