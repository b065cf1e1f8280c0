'use strict';

// Outgoing calls: sipster calls a SIPp UAS and a second sipster (another
// process, helpers/peer.js). The requests are checked as the far side
// received them: SIPp's message trace, or the peer's own pjsip log.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startSipp } = require('../harness/sipp');
const { parseMessages, parseSipMessage, findMessages, header } = require('./helpers/sip-trace');
const { startRtpSink } = require('./helpers/rtp');
const { startPeer } = require('./helpers/peer');
const { LOOPBACK_MEDIA } = require('./helpers/loopback');
const { record, waitUntil, sleep, sdpDirections, sdpAddress, CALL_EVENTS } = require('./helpers/events');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });

let transport;
let account;
let account2543;

before(async () => {
  transport = new sipster.Transport({ port: await freePort(), boundAddress: '127.0.0.1' });
  // RTP on 127.0.0.1 too (and in the SDP), not on the host's address.
  const mediaConfig = LOOPBACK_MEDIA;
  account = new sipster.Account({ idUri: 'sip:alice@127.0.0.1', mediaConfig });
  account2543 = new sipster.Account({
    idUri: 'sip:old-school@127.0.0.1',
    mediaConfig,
    callConfig: { holdType: sipster.PJSUA_CALL_HOLD_TYPE_RFC2543 },
  });
  sipster.start();
});

after(() => {
  account.delete();
  account2543.delete();
  transport.close();
  sipster.shutdown();
});

const stateNames = (events) => events.events.filter((e) => e.name === 'state').map((e) => e.args[0]);

// The requests of a method SIPp received so far, in order.
function received(sipp, method) {
  return findMessages(parseMessages(sipp.messages()), { direction: 'received', method });
}

// pjsip refuses a re-INVITE while another INVITE transaction of the dialog
// is still open (PJ_EINVALIDOP), e.g. until the ACK of the peer's own
// re-INVITE arrived: retry for a while.
async function whenIdle(op, limitMs = 3000) {
  const start = Date.now();
  for (;;) {
    try {
      return op();
    } catch (err) {
      if (err.status !== 70013 || Date.now() - start > limitMs) throw err;
      await sleep(50);
    }
  }
}

test('a call to a SIPp UAS: states, headers, DTMF, hold/unhold, UPDATE, REFER, BYE on the wire', { timeout: 40000 }, async () => {
  const sink = await startRtpSink();
  const sippPort = await freePort();
  const sipp = await startSipp({
    scenario: 'uas_answer_rtp_sink.xml',
    localPort: sippPort,
    duration: 300, // ring time
    keys: { rtp_sink_port: sink.port },
  });
  try {
    const call = account.makeCall(`sip:bob@127.0.0.1:${sippPort}`, {
      headers: { 'X-Trunk-Id': 'trunk-7', 'X-Campaign': 'spring' },
    });
    const events = record(call, CALL_EVENTS);
    assert.ok(call instanceof sipster.Call);
    assert.equal(call.getInfo().role, 'uac');
    assert.equal(call.isActive, true);

    const [confirmed] = await events.waitFor('confirmed');
    assert.deepEqual(stateNames(events), ['calling', 'early', 'connecting', 'confirmed']);
    assert.equal(confirmed.lastStatusCode, 200);
    assert.equal(confirmed.role, 'uac');
    assert.match(confirmed.remoteUri, /sip:bob@127\.0\.0\.1/);
    assert.match(confirmed.localUri, /sip:alice@127\.0\.0\.1/);
    const [media] = await events.waitFor('media');
    assert.equal(media[0].dir, 'bidirectional');
    assert.equal(media[0].rtpAddr, `127.0.0.1:${sink.port}`);
    assert.equal(call.hasMedia, true);

    // The INVITE carried the custom headers and an offer on 127.0.0.1.
    const [invite] = received(sipp, 'INVITE');
    assert.equal(header(invite, 'x-trunk-id'), 'trunk-7');
    assert.equal(header(invite, 'x-campaign'), 'spring');
    assert.equal(header(invite, 'call-id'), confirmed.callId);
    assert.deepEqual(sdpDirections(invite.body), ['sendrecv']);
    assert.equal(sdpAddress(invite.body), '127.0.0.1');

    // DTMF out: RFC 2833 events at the SIPp side's RTP address, in order.
    call.dtmf('1234#');
    await waitUntil(() => sink.dtmf().length >= 5, 10000, 'five digits at the RTP sink');
    assert.equal(sink.dtmf(), '1234#');

    // hold(): a re-INVITE offering sendonly; SIPp answers recvonly.
    await whenIdle(() => call.hold());
    const [held] = await events.waitFor('media', (m) => m[0].dir === 'outbound');
    assert.equal(held.length, 1);
    let reinvites = received(sipp, 'INVITE').slice(1);
    assert.equal(reinvites.length, 1);
    assert.deepEqual(sdpDirections(reinvites[0].body), ['sendonly']);

    // reinvite(): releases the hold, the offer is sendrecv again.
    await whenIdle(() => call.reinvite());
    await events.waitFor('media', (m) => m[0].dir === 'bidirectional');
    reinvites = received(sipp, 'INVITE').slice(1);
    assert.equal(reinvites.length, 2);
    assert.deepEqual(sdpDirections(reinvites[1].body), ['sendrecv']);

    // update(): an UPDATE (with an offer) inside the dialog.
    await whenIdle(() => call.update({ headers: { 'X-Update': 'u1' } }));
    await events.waitFor('media', (m) => m[0].dir === 'bidirectional');
    const updates = received(sipp, 'UPDATE');
    assert.equal(updates.length, 1);
    assert.equal(header(updates[0], 'call-id'), confirmed.callId);
    assert.equal(header(updates[0], 'x-update'), 'u1');
    assert.deepEqual(sdpDirections(updates[0].body), ['sendrecv']);

    // transfer(): a REFER naming the target; SIPp's NOTIFY reports 200.
    await whenIdle(() => call.transfer('sip:carol@127.0.0.1:5999', { headers: { 'X-Transfer': 't1' } }));
    const [finalCode, finalReason, isFinal] = await events.waitFor('transferStatus', (code, reason, fin) => fin);
    assert.equal(finalCode, 200);
    assert.equal(finalReason, 'OK');
    assert.equal(isFinal, true);
    const refers = received(sipp, 'REFER');
    assert.equal(refers.length, 1);
    assert.match(header(refers[0], 'refer-to'), /^<?sip:carol@127\.0\.0\.1:5999>?$/);
    assert.equal(header(refers[0], 'x-transfer'), 't1');
    assert.equal(call.state, 'confirmed');

    // hangup(): a BYE with the custom header; the JS sees its code.
    call.hangup(undefined, undefined, { headers: { 'X-Hangup': 'done' } });
    const [ended] = await events.waitFor('disconnected');
    assert.equal(ended.state, 'disconnected');
    // (pjsip ends the session when it sends the BYE: SIPp, run for one
    // call, exits once it has answered it)
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
    assert.equal(result.stats.successful, 1);
    const msgs = parseMessages(result.messages);
    const [bye] = findMessages(msgs, { direction: 'received', method: 'BYE' });
    assert.equal(header(bye, 'x-hangup'), 'done');
    assert.equal(findMessages(msgs, { direction: 'sent', status: 200, cseqMethod: 'BYE' }).length, 1);

    assert.deepEqual(stateNames(events), ['calling', 'early', 'connecting', 'confirmed', 'disconnected']);
    assert.equal(call.isActive, false);
    assert.ok(call.connDuration > 0, `connDuration ${call.connDuration}`);
    assert.ok(call.totalDuration > call.connDuration, `totalDuration ${call.totalDuration}`);
  } finally {
    await sipp.stop();
    await sink.close();
  }
});

test('hold with holdType RFC 2543 offers inactive on 0.0.0.0; reinvite() restores sendrecv', { timeout: 30000 }, async () => {
  const sippPort = await freePort();
  const sipp = await startSipp({ scenario: 'uas_answer.xml', localPort: sippPort, duration: 0 });
  try {
    const call = account2543.makeCall(`sip:bob@127.0.0.1:${sippPort}`);
    const events = record(call, CALL_EVENTS);
    await events.waitFor('confirmed');
    await events.waitFor('media', (m) => m[0].dir === 'bidirectional');

    await whenIdle(() => call.hold());
    await events.waitFor('media', (m) => m[0].dir === 'none');
    let reinvites = received(sipp, 'INVITE').slice(1);
    assert.equal(reinvites.length, 1);
    assert.deepEqual(sdpDirections(reinvites[0].body), ['inactive']);
    assert.equal(sdpAddress(reinvites[0].body), '0.0.0.0');

    await whenIdle(() => call.reinvite());
    await events.waitFor('media', (m) => m[0].dir === 'bidirectional');
    reinvites = received(sipp, 'INVITE').slice(1);
    assert.equal(reinvites.length, 2);
    assert.deepEqual(sdpDirections(reinvites[1].body), ['sendrecv']);
    assert.equal(sdpAddress(reinvites[1].body), '127.0.0.1');

    call.hangup();
    await events.waitFor('disconnected');
    const result = await sipp.done;
    assert.equal(result.code, 0, `SIPp's call failed\n${result.errors}`);
  } finally {
    await sipp.stop();
  }
});

// ---- a second sipster as the callee -------------------------------------------

// Starts the peer: one account that answers every call with 200 and reports
// its calls' events, and every SIP request it receives (from pjsip's log).
async function startCallee() {
  const peer = await startPeer();
  const port = await freePort();
  await peer.run(({ sipster: s, state, emit }, sipPort) => {
    s.init({
      logConfig: {
        level: 4,
        consoleLevel: 4,
        writer: (level, line) => {
          const m = /RX \d+ bytes Request msg [^\n]*:\n([\s\S]*?)\n--end msg--/.exec(line);
          if (m) emit('rx', m[1]);
        },
      },
    });
    state.transport = new s.Transport({ port: sipPort, boundAddress: '127.0.0.1' });
    state.account = new s.Account({
      idUri: 'sip:bob@127.0.0.1',
      mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } },
    });
    s.start();
    state.account.on('call', (info, call) => {
      state.call = call;
      emit('call', info);
      call.on('state', (name, i) => emit('state', { name, code: i.lastStatusCode }));
      call.on('media', (medias) => emit('media', medias.map((m) => m.dir)));
      call.on('dtmf', (digit) => emit('dtmf', digit));
      call.answer();
    });
  }, port);
  return { peer, port };
}

test('a call to a second sipster: DTMF both ways, hold/unhold, UPDATE, REFER as the peer received them', { timeout: 60000 }, async () => {
  const { peer, port } = await startCallee();
  try {
    // The requests the peer received, parsed, for one method.
    const rx = (method) => peer.events
      .filter((e) => e.name === 'rx')
      .map((e) => parseSipMessage(e.data))
      .filter((m) => m.method === method);
    const rxCount = (method, n) => waitUntil(() => rx(method).length >= n, 10000, `${n} ${method} at the peer`);

    const call = account.makeCall(`sip:bob@127.0.0.1:${port}`, { headers: { 'X-Peer-Test': 'p1' } });
    const events = record(call, CALL_EVENTS);
    const [confirmed] = await events.waitFor('confirmed');
    const calleeInfo = await peer.waitFor('call');
    await peer.waitFor('state', (s) => s.name === 'confirmed');
    assert.equal(calleeInfo.callId, confirmed.callId);
    assert.match(calleeInfo.remoteUri, /sip:alice@127\.0\.0\.1/);
    assert.equal(header(rx('INVITE')[0], 'x-peer-test'), 'p1');
    await events.waitFor('media', (m) => m[0].dir === 'bidirectional');

    // DTMF A -> B, then B -> A: every digit, in order, as 'dtmf' events.
    call.dtmf('159#*');
    const toPeer = [];
    for (let i = 0; i < 5; i++) toPeer.push(await peer.waitFor('dtmf'));
    assert.deepEqual(toPeer, ['1', '5', '9', '#', '*']);
    await peer.run(({ state }) => state.call.dtmf('*0A'));
    const fromPeer = [];
    for (let i = 0; i < 3; i++) fromPeer.push((await events.waitFor('dtmf'))[0]);
    assert.deepEqual(fromPeer, ['*', '0', 'A']);

    // hold(): the peer received a re-INVITE offering sendonly.
    await whenIdle(() => call.hold());
    await events.waitFor('media', (m) => m[0].dir === 'outbound');
    await rxCount('INVITE', 2);
    assert.deepEqual(sdpDirections(rx('INVITE')[1].body), ['sendonly']);
    await peer.waitFor('media', (dirs) => dirs[0] === 'inbound');

    // reinvite(): back to sendrecv.
    await whenIdle(() => call.reinvite());
    await events.waitFor('media', (m) => m[0].dir === 'bidirectional');
    await rxCount('INVITE', 3);
    assert.deepEqual(sdpDirections(rx('INVITE')[2].body), ['sendrecv']);
    await peer.waitFor('media', (dirs) => dirs[0] === 'bidirectional');

    // The peer holds us; our hold then offers inactive.
    await peer.run(async ({ state }) => {
      // (retried while our ACK of its last re-INVITE is on its way: PJ_EINVALIDOP)
      for (let tries = 0; ; tries++) {
        try {
          return state.call.hold();
        } catch (err) {
          if (err.status !== 70013 || tries > 60) throw err;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
    await events.waitFor('media', (m) => m[0].dir === 'inbound');
    await peer.waitFor('media', (dirs) => dirs[0] === 'outbound');
    await whenIdle(() => call.hold());
    await events.waitFor('media', (m) => m[0].dir === 'none');
    await rxCount('INVITE', 4);
    assert.deepEqual(sdpDirections(rx('INVITE')[3].body), ['inactive']);

    // reinvite() offers sendrecv again (the peer, still holding, answers sendonly).
    await whenIdle(() => call.reinvite());
    await events.waitFor('media', (m) => m[0].dir === 'inbound');
    await rxCount('INVITE', 5);
    assert.deepEqual(sdpDirections(rx('INVITE')[4].body), ['sendrecv']);

    // update(): an UPDATE in the same dialog.
    await whenIdle(() => call.update());
    await rxCount('UPDATE', 1);
    assert.equal(header(rx('UPDATE')[0], 'call-id'), confirmed.callId);

    // transfer(): a REFER naming the target. sipster declines transfers it
    // receives (see ShimCall::onCallTransferRequest): the peer's call stays
    // as it was, and our transferStatus reports the refusal.
    const target = `sip:carol@127.0.0.1:${await freePort()}`;
    await whenIdle(() => call.transfer(target));
    await rxCount('REFER', 1);
    assert.equal(header(rx('REFER')[0], 'refer-to').replace(/^<|>$/g, ''), target);
    const [code, , isFinal] = await events.waitFor('transferStatus', (c, r, fin) => fin);
    assert.equal(isFinal, true);
    assert.equal(code, 603);
    assert.equal(call.state, 'confirmed');
    const peerStates = await peer.run(({ state }) => ({ state: state.call.state, active: state.call.isActive }));
    assert.deepEqual(peerStates, { state: 'confirmed', active: true });

    // The peer hangs up: a remote BYE ends our call.
    await peer.run(({ state }) => state.call.hangup());
    const [ended] = await events.waitFor('disconnected');
    assert.equal(ended.lastStatusCode, 200);
    await peer.waitFor('state', (s) => s.name === 'disconnected');
    assert.deepEqual(stateNames(events), ['calling', 'connecting', 'confirmed', 'disconnected']);
    assert.deepEqual(
      peer.events.filter((e) => e.name === 'state').map((e) => e.data.name),
      ['incoming', 'connecting', 'confirmed', 'disconnected'],
    );
    assert.ok(call.connDuration > 0);
  } finally {
    const exit = await peer.stop();
    assert.equal(exit.code, 0, exit.stderr);
  }
});
