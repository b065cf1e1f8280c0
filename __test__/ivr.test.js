'use strict';

// The IVR helpers (issue 10): call.waitFor(), call.collectDtmf(),
// player.waitForEof() and the players' 'close' event settle on every SIP
// outcome: reached, the call ended first (caller hung up mid-prompt or
// mid-collection), timeout, abort. Real peers: SIPp callers and callees.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startSipp } = require('../harness/sipp');
const { incomingCalls } = require('./helpers/events');
const { loopbackAccount } = require('./helpers/loopback');
const audio = require('./helpers/audio');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });

let transport;
let account;
let sipPort;
let calls;
let tmp;

before(async () => {
  ({ transport, account, port: sipPort } = loopbackAccount(sipster, { idUri: 'sip:ivr@127.0.0.1', port: await freePort() }));
  calls = incomingCalls(account);
  sipster.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-ivr-'));
  audio.writeToneWav(path.join(tmp, 'short.wav'), { freq: 800, seconds: 0.5 });
  audio.writeToneWav(path.join(tmp, 'long.wav'), { freq: 800, seconds: 20 });
});

after(() => {
  account.delete();
  transport.close();
  sipster.shutdown();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ENDED = { code: 'ERR_SIPSTER_CALL_ENDED' };

async function callee(scenario, opts = {}) {
  const port = await freePort();
  const sipp = await startSipp({ scenario, localPort: port, timeoutMs: 20000, duration: 0, ...opts });
  return { sipp, call: account.makeCall(`sip:callee@127.0.0.1:${port}`) };
}

async function caller(scenario, opts = {}) {
  const next = calls.next();
  const sipp = await startSipp({ scenario, remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), timeoutMs: 20000, ...opts });
  const { call } = await next;
  return { sipp, call };
}

test('waitFor(): resolves on the state, at once when already there; times out, aborts, and rejects when the call ends first', { timeout: 30000 }, async () => {
  const { sipp, call } = await callee('uas_ring_noanswer.xml', { duration: 0 });
  const early = await call.waitFor('early');
  assert.equal(early.state, 'early');
  assert.equal((await call.waitFor('early')).state, 'early', 'already there');
  await assert.rejects(call.waitFor('confirmed', { timeout: 200 }), { code: 'ERR_SIPSTER_TIMEOUT' });
  const controller = new AbortController();
  const aborted = call.waitFor('confirmed', { signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  assert.throws(() => call.waitFor('answered'), { code: 'ERR_INVALID_ARG_VALUE' });
  const pending = call.waitFor('confirmed');
  call.hangup();
  const err = await pending.catch((e) => e);
  assert.equal(err.code, ENDED.code);
  assert.equal(err.info.state, 'disconnected');
  assert.equal(err.info.lastStatusCode, 487);
  await assert.rejects(call.waitFor('confirmed'), ENDED);
  assert.equal((await call.waitFor('disconnected')).state, 'disconnected');
  assert.equal(call.listenerCount('state'), 0, 'settled helpers leave no listeners');
  await sipp.done;
});

test('collectDtmf(): count, terminator, and the caller hanging up mid-collection', { timeout: 40000 }, async () => {
  {
    const { sipp, call } = await caller('uac_call_dtmf.xml', { duration: 500 });
    call.answer(200);
    assert.equal(await call.collectDtmf({ count: 3, timeout: 10000 }), '123');
    await sipp.done;
  }
  {
    const { sipp, call } = await caller('uac_call_dtmf.xml', { duration: 500 });
    call.answer(200);
    assert.equal(await call.collectDtmf({ terminator: '3', timeout: 10000 }), '12');
    await sipp.done;
  }
  {
    const { sipp, call } = await caller('uac_call_dtmf.xml', { duration: 200 });
    call.answer(200);
    const listeners = call.listenerCount('dtmf'); // the test's own recorder has one
    const err = await call.collectDtmf({ count: 5, timeout: 10000 }).catch((e) => e);
    assert.equal(err.code, ENDED.code);
    assert.equal(err.digits, '123');
    assert.equal(call.listenerCount('dtmf'), listeners, 'settled helpers leave no listeners');
    await sipp.done;
  }
  {
    const { sipp, call } = await caller('uac_call_dtmf.xml', { duration: 2500 });
    call.answer(200);
    assert.equal(await call.collectDtmf({ interDigitTimeout: 1000, timeout: 10000 }), '123', 'the pause after the last digit ends it');
    call.hangup();
    await sipp.done;
  }
});

test("waitForEof(): resolves at eof; rejects when the caller hangs up mid-prompt or the player closes, which emits 'close'", { timeout: 40000 }, async () => {
  {
    const { sipp, call } = await caller('uac_call_wait_bye.xml');
    call.answer(200);
    const [media] = await new Promise((resolve) => call.once('media', resolve));
    const prompt = sipster.createPlayer(path.join(tmp, 'short.wav'), true);
    prompt.startTransmitTo(media);
    const aborted = new AbortController();
    const waiting = prompt.waitForEof({ signal: aborted.signal });
    aborted.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    await prompt.waitForEof();
    const closed = new Promise((resolve) => prompt.once('close', resolve));
    prompt.close();
    await closed;
    await assert.rejects(prompt.waitForEof(), { code: 'ERR_SIPSTER_STATE' });
    call.hangup();
    await sipp.done;
  }
  {
    const { sipp, call } = await caller('uac_call.xml', { duration: 800 });
    call.answer(200);
    const [media] = await new Promise((resolve) => call.once('media', resolve));
    const prompt = sipster.createPlayer(path.join(tmp, 'long.wav'), true);
    prompt.startTransmitTo(media);
    const started = Date.now();
    await assert.rejects(prompt.waitForEof(), ENDED);
    assert.ok(Date.now() - started < 5000, 'settled when the caller hung up, not at the end of the prompt');
    prompt.close();
    await sipp.done;
  }
});
