'use strict';

// A peer that vanishes mid-call, without a BYE: with init()'s
// `mediaTimeoutSec`, sipster hangs up a confirmed call that receives no RTP
// for that long, and JS sees 'disconnected' with 408 'Media Timeout'. A call
// whose RTP keeps flowing must not be touched. (A vanished peer noticed by
// session timers instead, ~77 s, is in soak/session-timer.test.js.)

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const sipster = require('..');
const { freePort, freeRtpPort, silentUdpListener } = require('../harness/ports');
const { startSipp, runSipp, scenarioPath } = require('../harness/sipp');
const { parseMessages } = require('./helpers/sip-trace');
const { pcapDurationMs } = require('../harness/pcap');
const { loopbackAccount } = require('./helpers/loopback');

const MEDIA_TIMEOUT_SEC = 2;
sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { mediaTimeoutSec: MEDIA_TIMEOUT_SEC });
const { transport, account, localAddress: remote } = loopbackAccount(sipster, { idUri: 'sip:uas@127.0.0.1' });
sipster.start();
transport.unref();
account.unref();

// Answers the next incoming call and records when each state came.
function answerNext() {
  return new Promise((resolve) => {
    account.once('call', (info, call) => {
      const at = {};
      call.on('state', (state) => {
        at[state] = Date.now();
      });
      const ended = new Promise((done) => call.once('disconnected', (ci) => done(ci)));
      call.answer(200);
      resolve({ call, at, ended });
    });
  });
}

const within = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))]);

// RX packet count of the call's audio in getStatsDump() ("RX pt=.. total Npkt").
function rxPackets(call) {
  const m = /RX pt=[\s\S]*?total (\d+)pkt/.exec(call.getStatsDump(true));
  return m ? Number(m[1]) : NaN;
}

test('uac_call.xml sends no RTP (what the vanish test relies on)', () => {
  const text = fs.readFileSync(scenarioPath('uac_call.xml'), 'utf8');
  assert.doesNotMatch(text, /play_pcap_audio|rtp_stream|rtp_echo|play_pcap_video/);
});

test('a peer SIGKILLed mid-call (no BYE, no RTP): the call ends by itself with 408 Media Timeout in ~2-4 s', { timeout: 90000 }, async () => {
  const sipPort = await freePort();
  const answered = answerNext();
  const sipp = await startSipp({
    scenario: 'uac_call.xml',
    remote,
    localPort: sipPort,
    mediaPort: await freeRtpPort(),
    duration: 60000, // would hang up after a minute: it is killed first
    timeoutMs: 90000,
  });
  let listener;
  try {
    const { call, at, ended } = await within(answered, 10000, 'incoming call');
    await within(new Promise((resolve) => (call.state === 'confirmed' ? resolve() : call.once('confirmed', resolve))), 5000, 'confirmed');
    // The peer vanishes: no BYE, nothing more on the wire.
    sipp.process.kill('SIGKILL');
    const killedAt = Date.now();
    const result = await sipp.done;
    listener = await silentUdpListener(sipPort);
    assert.equal(result.signal, 'SIGKILL');
    const sippSent = parseMessages(result.messages).filter((m) => m.direction === 'sent').map((m) => m.method);
    assert.deepEqual(sippSent, ['INVITE', 'ACK'], 'SIPp must have sent no BYE');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(call.isActive, true, 'the call ended before the media timeout');
    assert.equal(rxPackets(call), 0, 'SIPp sent RTP: the test would prove nothing');

    const info = await within(ended, 10000, 'disconnected after the peer vanished');
    const afterConfirm = at.disconnected - at.confirmed;
    const afterKill = at.disconnected - killedAt;
    assert.equal(info.lastStatusCode, 408);
    assert.equal(info.lastReason, 'Media Timeout');
    assert.ok(
      afterConfirm >= MEDIA_TIMEOUT_SEC * 1000 - 100 && afterConfirm <= MEDIA_TIMEOUT_SEC * 1000 + 2000,
      `ended ${afterConfirm} ms after the last (no) RTP; timeout ${MEDIA_TIMEOUT_SEC} s`,
    );
    assert.ok(afterKill <= 4000, `ended ${afterKill} ms after the peer vanished`);
    assert.equal(call.state, 'disconnected');
    assert.equal(call.isActive, false);
    // sipster said goodbye to the vanished peer (a BYE to its address).
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(
      listener.messages.some((m) => /^BYE /.test(m.text)),
      `no BYE sent to the vanished peer: ${listener.messages.map((m) => m.text.split('\r\n')[0]).join(', ')}`,
    );
    // pjsua keeps the call's slot until its BYE transaction ends: with no
    // answer, Timer F (64*T1 = 32 s). Then it must be free again.
    const end = Date.now() + 40000;
    while (sipster.callCount > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    assert.equal(sipster.callCount, 0, 'the call slot was not released after the BYE timed out');
    const freedAfter = Date.now() - at.disconnected;
    assert.ok(freedAfter <= 36000, `call slot released ${freedAfter} ms after 'disconnected'`);
  } finally {
    await sipp.stop();
    await listener?.close();
  }
});

test('a call whose RTP keeps flowing is not hung up: it lasts until the peer\'s BYE', async () => {
  const pcapMs = pcapDurationMs('g711a.pcap'); // 7.05 s of 30 ms packets
  const duration = pcapMs + 500; // BYE half a second after the last packet
  const answered = answerNext();
  const run = runSipp({
    scenario: 'uac_call_rtp.xml',
    remote,
    localPort: await freePort(),
    mediaPort: await freeRtpPort(),
    duration,
    timeoutMs: duration + 20000,
  });
  const { call, at, ended } = await within(answered, 10000, 'incoming call');
  const result = await run;
  const info = await within(ended, 5000, 'disconnected after the BYE');
  const msgs = parseMessages(result.messages);
  assert.equal(result.code, 0, `SIPp's call failed: ${result.errors.slice(-500)}`);
  const bye = msgs.find((m) => m.direction === 'sent' && m.method === 'BYE');
  assert.ok(bye, 'SIPp sent no BYE');
  assert.ok(msgs.some((m) => m.direction === 'received' && m.status === 200 && m.cseqMethod === 'BYE'), 'sipster did not answer the BYE');
  assert.ok(!msgs.some((m) => m.direction === 'received' && m.method === 'BYE'), 'sipster hung up the call itself');
  assert.notEqual(info.lastReason, 'Media Timeout');
  const talk = at.disconnected - at.confirmed;
  assert.ok(talk >= duration - 300, `the call lasted ${talk} ms, SIPp talked for ${duration} ms`);
  assert.ok(call.connDuration >= (duration - 300) / 1000, `connDuration ${call.connDuration} s`);
});

test('when the RTP stops but the dialog stays, the call ends MEDIA_TIMEOUT after the last packet', async () => {
  const pcapMs = pcapDurationMs('g711a.pcap');
  const answered = answerNext();
  const sipPort = await freePort();
  const sipp = await startSipp({
    scenario: 'uac_call_rtp.xml',
    remote,
    localPort: sipPort,
    mediaPort: await freeRtpPort(),
    duration: pcapMs + 30000, // SIPp stays silent long after its RTP ends
    timeoutMs: pcapMs + 60000,
  });
  try {
    const { call, at, ended } = await within(answered, 10000, 'incoming call');
    const info = await within(ended, pcapMs + 10000, 'disconnected after the RTP stopped');
    assert.equal(info.lastStatusCode, 408);
    assert.equal(info.lastReason, 'Media Timeout');
    const talk = at.disconnected - at.confirmed;
    // RTP flowed for pcapMs (so no timeout then), then MEDIA_TIMEOUT of silence.
    assert.ok(talk >= pcapMs + MEDIA_TIMEOUT_SEC * 1000 - 300, `ended after ${talk} ms, RTP for ${pcapMs} ms`);
    assert.ok(talk <= pcapMs + MEDIA_TIMEOUT_SEC * 1000 + 2500, `ended after ${talk} ms, RTP for ${pcapMs} ms`);
    assert.equal(call.isActive, false);
    // The peer was still there: it got the BYE.
    // SIPp's scenario expected to hang up itself: the BYE aborts its call
    // (which it counts as failed) and it exits.
    const result = await within(sipp.done, 10000, 'SIPp exit after the BYE');
    const msgs = parseMessages(result.messages);
    assert.ok(
      msgs.some((m) => m.direction === 'received' && m.method === 'BYE'),
      `SIPp did not receive the BYE: ${msgs.map((m) => `${m.direction} ${m.startLine}`).join(', ')}`,
    );
  } finally {
    await sipp.stop();
  }
});
