'use strict';

// Session timers (RFC 4028) end a call whose peer vanished without a BYE,
// even without sipster's media timeout. SIPp calls in with
// "Supported: timer" and "Session-Expires: 90", then is SIGKILLed; a silent
// UDP socket takes over its port to record what sipster still sends there.
//
// * refresher=uas (sipster refreshes): the refresh (UPDATE) at SE/2 = 45 s
//   goes unanswered and times out after 32 s; sipster then sends a BYE, at
//   ~77 s, and the call ends (408) once that BYE times out too.
// * refresher=uac (the vanished peer should refresh): no refresh comes;
//   sipster sends a BYE before the session expires (RFC 4028 section 10:
//   by SE, at best SE - min(32, SE/3)) and the call ends (408).
//
// Takes about two minutes: part of `npm run test:soak`, not of `npm test`.

const test = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('../..');
const { freePort, freeRtpPort, silentUdpListener } = require('../../harness/ports');
const { startSipp } = require('../../harness/sipp');
const { parseMessages } = require('../helpers/sip-trace');
const { loopbackAccount } = require('../helpers/loopback');

const SE = 90;

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }); // no mediaTimeoutSec: only session timers
const { transport, account, localAddress } = loopbackAccount(sipster, { idUri: 'sip:uas@127.0.0.1' });
sipster.start();
transport.unref();
account.unref();
account.remote = localAddress;

// Calls in with session timers, kills the caller once the call is up, and
// follows the call to its end. Resolves with what happened, times relative
// to the 200 OK (when the session interval starts).
async function vanishWithSessionTimer(refresher, callIdTag, { sipPort, mediaPort }) {
  const incoming = new Promise((resolve) => {
    const onCall = (info, call) => {
      if (!info.remoteUri.includes(callIdTag)) return;
      account.removeListener('call', onCall);
      const at = {};
      call.on('state', (state) => (at[state] = Date.now()));
      const ended = new Promise((done) => call.once('disconnected', done));
      call.answer(200);
      resolve({ call, at, ended });
    };
    account.on('call', onCall);
  });
  const sipp = await startSipp({
    scenario: 'uac_call.xml',
    remote: account.remote,
    localPort: sipPort,
    mediaPort,
    duration: 300000,
    timeoutMs: 300000,
    replace: {
      'From: sipp <sip:sipp@': `From: ${callIdTag} <sip:${callIdTag}@`,
      'User-Agent: SIPp uac_call.xml': `User-Agent: SIPp uac_call.xml\n      Supported: timer\n      Session-Expires: ${SE};refresher=${refresher}`,
    },
  });
  let listener;
  try {
    const { call, at, ended } = await incoming;
    await new Promise((resolve) => (call.state === 'confirmed' ? resolve() : call.once('confirmed', resolve)));
    sipp.process.kill('SIGKILL');
    const result = await sipp.done;
    listener = await silentUdpListener(sipPort);
    const ok = parseMessages(result.messages).find((m) => m.direction === 'received' && m.status === 200 && m.cseqMethod === 'INVITE');
    const info = await ended;
    const t0 = at.connecting || at.confirmed;
    const requests = listener.messages.filter((m) => /^[A-Z]+$/.test(m.method));
    const first = (method) => requests.find((m) => m.method === method);
    return {
      answer: ok,
      info,
      call,
      endedAfter: (at.disconnected - t0) / 1000,
      refreshAfter: first('UPDATE') || first('INVITE') ? ((first('UPDATE') || first('INVITE')).at - t0) / 1000 : null,
      byeAfter: first('BYE') ? (first('BYE').at - t0) / 1000 : null,
      seen: requests.map((m) => `${m.method}@${((m.at - t0) / 1000).toFixed(1)}s`),
    };
  } finally {
    await sipp.stop();
    await listener?.close();
  }
}

test(`session timers end a call whose peer vanished (Session-Expires: ${SE})`, { timeout: 5 * 60 * 1000, concurrency: 2 }, async (t) => {
  // harness/ports is not safe for concurrent use: take the ports first.
  const uasPorts = { sipPort: await freePort(), mediaPort: await freeRtpPort() };
  const uacPorts = { sipPort: await freePort(), mediaPort: await freeRtpPort() };
  await Promise.all([
    t.test('refresher=uas: refresh at ~45 s times out, BYE at ~77 s, the call ends with 408', async (t2) => {
      const r = await vanishWithSessionTimer('uas', 'refresheruas', uasPorts);
      t2.diagnostic(`sent to the vanished peer: ${r.seen.join(', ')}; disconnected after ${r.endedAfter.toFixed(1)} s (${r.info.lastStatusCode} ${r.info.lastReason})`);
      assert.match(r.answer.headers['session-expires']?.[0] ?? '', new RegExp(`^${SE};\\s*refresher=uas`), 'sipster did not take the refresher role');
      assert.ok(r.refreshAfter !== null, 'no session refresh was sent');
      assert.ok(Math.abs(r.refreshAfter - SE / 2) <= 3, `refresh after ${r.refreshAfter} s, expected ~${SE / 2} s`);
      assert.ok(r.byeAfter !== null, 'no BYE was sent');
      assert.ok(Math.abs(r.byeAfter - (SE / 2 + 32)) <= 5, `BYE after ${r.byeAfter} s, expected ~${SE / 2 + 32} s`);
      assert.equal(r.info.lastStatusCode, 408);
      assert.ok(r.endedAfter <= r.byeAfter + 32 + 5, `disconnected after ${r.endedAfter} s`);
      assert.equal(r.call.isActive, false);
    }),
    t.test('refresher=uac: no refresh comes, BYE before the session expires, the call ends with 408', async (t2) => {
      const r = await vanishWithSessionTimer('uac', 'refresheruac', uacPorts);
      t2.diagnostic(`sent to the vanished peer: ${r.seen.join(', ')}; disconnected after ${r.endedAfter.toFixed(1)} s (${r.info.lastStatusCode} ${r.info.lastReason})`);
      assert.match(r.answer.headers['session-expires']?.[0] ?? '', new RegExp(`^${SE};\\s*refresher=uac`));
      assert.equal(r.refreshAfter, null, 'sipster refreshed although the peer was the refresher');
      assert.ok(r.byeAfter !== null, 'no BYE was sent');
      assert.ok(r.byeAfter <= SE + 2, `BYE after ${r.byeAfter} s: after the session expired (${SE} s)`);
      assert.ok(r.byeAfter >= SE - Math.min(32, SE / 3) - 2, `BYE after ${r.byeAfter} s: too early`);
      assert.equal(r.info.lastStatusCode, 408);
      assert.ok(r.endedAfter <= r.byeAfter + 32 + 5, `disconnected after ${r.endedAfter} s`);
      assert.equal(r.call.isActive, false);
    }),
  ]);
  assert.equal(sipster.callCount, 0);
});
