'use strict';

// Bad input to every exported function, class, method and config field:
// wrong types, missing arguments, out-of-range numbers, malformed URIs,
// unknown enum strings, objects of the wrong class, config fields of the
// wrong type at depth, unknown fields, SIP header/status-line injection,
// and calls on ended, deleted and closed objects. Each case checks the
// error class, err.code and that the message names the argument, field or
// operation. What must not run in this process (before init(), after
// shutdown(), cases that could abort the process inside pjproject) runs in
// fixtures/bad-input-child.js. The file finishing proves nothing crashed.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sipster = require('..');
const audio = require('./helpers/audio');
const { startPeer } = require('./helpers/peer');
const { TYPE, VALUE, RANGE, STATE, PJSIP } = require('./helpers/errors');

const CHILD = path.join(__dirname, 'fixtures', 'bad-input-child.js');
const { LOOPBACK_MEDIA } = require('./helpers/loopback');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-bad-input-'));
const file = (name) => path.join(dir, name);


// Asserts that fn throws the expected class, code and message (and for
// errors from pjsip, a numeric status).
function throwsLike(fn, expected) {
  let thrown = null;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown, `did not throw (expected ${expected.name} ${expected.code} ${expected.message})`);
  assert.ok(thrown instanceof Error, `threw a non-Error: ${thrown}`);
  const seen = `${thrown.name} ${thrown.code}: ${thrown.message}`;
  assert.equal(thrown.name, expected.name, `error class; got ${seen}`);
  assert.equal(thrown.code, expected.code, `err.code; got ${seen}`);
  assert.match(thrown.message, expected.message, `message; got ${seen}`);
  if (expected.code === 'ERR_PJSIP' || expected.code === 'ERR_SIPSTER_STATE') {
    assert.equal(typeof thrown.status, 'number', `err.status; got ${seen}`);
  }
}

// Runs a group of [name, fn, expected] cases as subtests. A case that
// wrongly succeeds and creates something passes it to keep(), and after()
// closes it.
async function matrix(t, cases) {
  for (const [name, fn, expected] of cases) {
    await t.test(name, () => throwsLike(fn, expected));
  }
}

const leftovers = [];
const keep = (obj) => {
  leftovers.push(obj);
  return obj;
};

let transport;
let account;
let recorder;
let player;
let peer;
let peerUri;
let ourUri;

before(async () => {
  sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
  transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
  account = new sipster.Account({ idUri: 'sip:a@127.0.0.1', mediaConfig: LOOPBACK_MEDIA });
  sipster.start();
  transport.unref();
  account.unref();
  ourUri = `sip:a@${transport.getInfo().localAddress}`;
  audio.writeToneWav(file('tone.wav'), { freq: 440, seconds: 1 });
  recorder = sipster.createRecorder(file('rec.wav'));
  player = sipster.createPlayer(file('tone.wav'));

  // A second sipster that answers every call and calls us when asked.
  peer = await startPeer();
  const port = await peer.run(({ sipster: s, state, emit }, media) => {
    s.init({ logConfig: { level: 0, consoleLevel: 0 } });
    state.transport = new s.Transport({ port: 0, boundAddress: '127.0.0.1' });
    state.account = new s.Account({ idUri: 'sip:b@127.0.0.1', mediaConfig: media });
    state.account.on('call', (info, call) => {
      call.on('state', (st, ci) => emit('peerCallState', { st, code: ci.lastStatusCode, reason: ci.lastReason }));
      call.answer(200);
    });
    s.start();
    return Number(state.transport.getInfo().localAddress.split(':')[1]);
  }, LOOPBACK_MEDIA);
  peerUri = `sip:b@127.0.0.1:${port}`;
});

after(async () => {
  for (const obj of leftovers) {
    try {
      if (obj instanceof sipster.Call) obj.hangup();
      else if (obj instanceof sipster.Account) obj.delete();
      else obj.close();
    } catch {
      // already gone
    }
  }
  if (peer) await peer.stop();
  recorder?.close();
  player?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function waitFor(emitter, event, limitMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${limitMs} ms`)), limitMs);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function outgoingCall() {
  const call = keep(account.makeCall(peerUri));
  const media = waitFor(call, 'media');
  await waitFor(call, 'confirmed');
  const [medias] = await media;
  return { call, stream: medias[0] };
}

async function incomingCall() {
  const incoming = waitFor(account, 'call');
  await peer.run(({ state }, uri) => {
    state.outgoing = state.account.makeCall(uri);
  }, ourUri);
  const [, call] = await incoming;
  keep(call);
  return call;
}

// ---- library functions -------------------------------------------------------------

test('library functions: wrong types, missing arguments, out-of-range values, unknown enums', async (t) => {
  await matrix(t, [
    ['init() a second time', () => sipster.init(), STATE(/^init: the library is already initialized/)],
    ['init("verbose") after init (the argument is checked first)', () => sipster.init('verbose'), TYPE(/epConfig must be an object/)],
    ['start() a second time', () => sipster.start(), PJSIP(/^start: the library is already started/)],
    ['createPlayer(5)', () => sipster.createPlayer(5), TYPE(/^filename must be a string, got number 5/)],
    ['createPlayer()', () => sipster.createPlayer(), TYPE(/^filename must be a string/)],
    ['createPlayer(file, "yes")', () => sipster.createPlayer(file('tone.wav'), 'yes'), TYPE(/^noLoop must be a boolean/)],
    ['createPlayer(missing file)', () => sipster.createPlayer(file('missing.wav')), PJSIP(/^createPlayer: /)],
    ['createPlayer(not a WAV)', () => {
      fs.writeFileSync(file('text.wav'), 'just text, no RIFF header');
      keep(sipster.createPlayer(file('text.wav')));
    }, PJSIP(/^createPlayer: /)],
    ['createPlaylist([])', () => sipster.createPlaylist([]), TYPE(/^filenames must be a non-empty array/)],
    ['createPlaylist("a.wav")', () => sipster.createPlaylist('a.wav'), TYPE(/^filenames must be a non-empty array/)],
    ['createPlaylist([file, 5])', () => sipster.createPlaylist([file('tone.wav'), 5]), TYPE(/^filenames\[1\] must be a string/)],
    ['createPlaylist([file, missing])', () => sipster.createPlaylist([file('tone.wav'), file('missing.wav')]), PJSIP(/^createPlaylist: /)],
    ['createRecorder()', () => sipster.createRecorder(), TYPE(/^filename must be a string/)],
    ['createRecorder(file, "mp3")', () => sipster.createRecorder(file('x.wav'), 'mp3'), VALUE(/format must be 'ulaw', 'alaw' or 'pcm', not 'mp3'/)],
    ['createRecorder(file, 5)', () => sipster.createRecorder(file('x.wav'), 5), TYPE(/^format must be a string/)],
    ['createRecorder(file, "ulaw", -1)', () => sipster.createRecorder(file('x.wav'), 'ulaw', -1), RANGE(/maxSize must be a whole number of bytes >= 0, got -1/)],
    ['createRecorder(file, "ulaw", 1.5)', () => sipster.createRecorder(file('x.wav'), 'ulaw', 1.5), RANGE(/maxSize .* got 1\.5/)],
    ['createRecorder(file, "ulaw", NaN)', () => sipster.createRecorder(file('x.wav'), 'ulaw', NaN), RANGE(/maxSize/)],
    ['createRecorder(file, "ulaw", "10")', () => sipster.createRecorder(file('x.wav'), 'ulaw', '10'), TYPE(/^maxSize must be a number/)],
    ['createRecorder(in a missing directory)', () => sipster.createRecorder(file('no/such/dir/x.wav')), PJSIP(/^createRecorder: /)],
    ['defaultConfig()', () => sipster.defaultConfig(), TYPE(/kind/)],
    ['defaultConfig("Bogus")', () => sipster.defaultConfig('Bogus'), VALUE(/Bogus/)],
    ['new Call() by hand', () => new sipster.Call({}), TYPE(/Call objects come from/)],
    ['new Media() by hand', () => new sipster.Media({}), TYPE(/Media objects come from/)],
  ]);
});

// ---- Transport ---------------------------------------------------------------------

test('new Transport(): wrong types, out-of-range ports, unknown types and fields', async (t) => {
  // A case that wrongly succeeds must not leave a socket behind.
  const make = (...args) => () => keep(new sipster.Transport(...args));
  await matrix(t, [
    ['type "sctp"', make({ port: 0, boundAddress: '127.0.0.1' }, 'sctp'), VALUE(/^type must be one of 'udp', 'tcp', 'tls', 'udp6', 'tcp6', 'tls6', not 'sctp'/)],
    ['type 17', make({ port: 0 }, 17), TYPE(/^type must be a string/)],
    ['config [5060]', make([5060]), TYPE(/^transportConfig must be an object/)],
    ['config "udp", type "tcp"', make('udp', 'tcp'), TYPE(/^transportConfig must be an object/)],
    ['port "5060"', make({ port: '5060' }), TYPE(/transportConfig: field 'port' must be a number, not a string/)],
    ['port 1.5', make({ port: 1.5 }), RANGE(/transportConfig: field 'port' must be an integer/)],
    ['port -1', make({ port: -1, boundAddress: '127.0.0.1' }), RANGE(/'port'/)],
    ['port 70000', make({ port: 70000, boundAddress: '127.0.0.1' }), RANGE(/'port'/)],
    ['portRange -5', make({ port: 0, portRange: -5, boundAddress: '127.0.0.1' }), RANGE(/'portRange'/)],
    ['boundAddress 127', make({ boundAddress: 127 }), TYPE(/'boundAddress' must be a string, not a number/)],
    ['boundAddress "not-an-ip"', make({ port: 0, boundAddress: 'not-an-ip' }), PJSIP(/^new Transport: /)],
    ['tlsConfig.method "tls1.2"', make({ tlsConfig: { method: 'tls1.2' } }), TYPE(/'tlsConfig\.method' must be a number, not a string/)],
    ['tlsConfig.verifyServer "yes"', make({ tlsConfig: { verifyServer: 'yes' } }), TYPE(/'tlsConfig\.verifyServer' must be a boolean/)],
    ['qosParams.flags "x"', make({ qosParams: { flags: 'x' } }), TYPE(/'qosParams\.flags' must be a number/)],
    ['unknown field prot', make({ prot: 5060 }), TYPE(/transportConfig: unknown field 'prot'/)],
    ['unknown nested field tlsConfig.cert', make({ tlsConfig: { cert: 'x' } }), TYPE(/unknown field 'tlsConfig\.cert'/)],
  ]);
});

test('a closed Transport refuses every use', async (t) => {
  const closed = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
  closed.close();
  await matrix(t, [
    ['getInfo()', () => closed.getInfo(), STATE(/^Transport\.getInfo: the transport is closed/)],
    ['enable()', () => closed.enable(), STATE(/^Transport\.enable: the transport is closed/)],
    ['disable()', () => closed.disable(), STATE(/^Transport\.disable: the transport is closed/)],
    ['account.setTransport(closed)', () => account.setTransport(closed), STATE(/transport is closed/)],
    ['new Account({ sipConfig: { transport: closed } })', () => keep(new sipster.Account({ idUri: 'sip:c@127.0.0.1', sipConfig: { transport: closed } })), STATE(/transport is closed/)],
  ]);
  await t.test('enabled reads false, close() again is a no-op', () => {
    assert.equal(closed.enabled, false);
    closed.close();
  });
});

// ---- Account -----------------------------------------------------------------------

test('new Account(), modify(): wrong types and values at any depth, unknown fields', async (t) => {
  const make = (config, ...rest) => () => keep(new sipster.Account(config, ...rest));
  const id = 'sip:c@127.0.0.1';
  await matrix(t, [
    ['no config', make(), TYPE(/^accountConfig must be an object, got undefined/)],
    ['config "sip:x"', make('sip:x'), TYPE(/^accountConfig must be an object, got string/)],
    ['config []', make([]), TYPE(/^accountConfig must be an object, got an array/)],
    ['isDefault "yes"', make({ idUri: id }, 'yes'), TYPE(/^isDefault must be a boolean/)],
    ['idUri ["x"]', make({ idUri: ['x'] }), TYPE(/accountConfig: field 'idUri' must be a string, not an array/)],
    ['idUri "not a uri"', make({ idUri: 'not a uri' }), PJSIP(/^new Account: .*URI/)],
    ['idUri missing', make({}), PJSIP(/^new Account: .*URI/)],
    ['priority 1.5', make({ idUri: id, priority: 1.5 }), RANGE(/accountConfig: field 'priority' must be an integer, got 1\.5/)],
    ['regConfig.timeoutSec "60"', make({ idUri: id, regConfig: { timeoutSec: '60' } }), TYPE(/accountConfig: field 'regConfig\.timeoutSec' must be a number, not a string/)],
    ['regConfig.timeoutSec -1', make({ idUri: id, regConfig: { timeoutSec: -1 } }), RANGE(/'regConfig\.timeoutSec'/)],
    ['regConfig.registrarUri "not a uri"', make({ idUri: id, regConfig: { registrarUri: 'not a uri' } }), PJSIP(/^new Account: .*URI/)],
    ['regConfig "x"', make({ idUri: id, regConfig: 'x' }), TYPE(/field 'regConfig' must be an object, not a string/)],
    ['sipConfig.authCreds[0].username 5', make({ idUri: id, sipConfig: { authCreds: [{ username: 5 }] } }), TYPE(/field 'sipConfig\.authCreds\[0\]\.username' must be a string, not a number/)],
    ['sipConfig.authCreds {…} (not an array)', make({ idUri: id, sipConfig: { authCreds: { username: 'x' } } }), TYPE(/field 'sipConfig\.authCreds' must be an array, not an object/)],
    ['sipConfig.authCreds[1].dataType "plain"', make({ idUri: id, sipConfig: { authCreds: [{ username: 'a' }, { dataType: 'plain' }] } }), TYPE(/field 'sipConfig\.authCreds\[1\]\.dataType' must be a number/)],
    ['sipConfig.proxies [{}]', make({ idUri: id, sipConfig: { proxies: [{}] } }), TYPE(/'sipConfig\.proxies\[0\]'/)],
    ['sipConfig.transport 5', make({ idUri: id, sipConfig: { transport: 5 } }), TYPE(/accountConfig\.sipConfig\.transport must be a Transport, got number 5/)],
    ['sipConfig.transport = a Media', make({ idUri: id, sipConfig: { transport: recorder } }), TYPE(/accountConfig\.sipConfig\.transport must be a Transport, got an object/)],
    ['callConfig.holdType "x"', make({ idUri: id, callConfig: { holdType: 'x' } }), TYPE(/'callConfig\.holdType' must be a number/)],
    ['natConfig.iceEnabled "yes"', make({ idUri: id, natConfig: { iceEnabled: 'yes' } }), TYPE(/'natConfig\.iceEnabled' must be a boolean/)],
    ['mediaConfig.srtpUse "mandatory"', make({ idUri: id, mediaConfig: { srtpUse: 'mandatory' } }), TYPE(/'mediaConfig\.srtpUse' must be a number/)],
    ['mediaConfig.transportConfig.port "4000"', make({ idUri: id, mediaConfig: { transportConfig: { port: '4000' } } }), TYPE(/'mediaConfig\.transportConfig\.port' must be a number/)],
    ['unknown field bogus', make({ idUri: id, bogus: 1 }), TYPE(/accountConfig: unknown field 'bogus'/)],
    ['unknown nested field regConfig.timeout', make({ idUri: id, regConfig: { timeout: 1 } }), TYPE(/accountConfig: unknown field 'regConfig\.timeout'/)],
    ['modify()', () => account.modify(), TYPE(/^accountConfig must be an object/)],
    ['modify({ regConfig: { timeoutSec: "60" } })', () => account.modify({ regConfig: { timeoutSec: '60' } }), TYPE(/'regConfig\.timeoutSec' must be a number/)],
    ['modify({ bogus: 1 })', () => account.modify({ bogus: 1 }), TYPE(/unknown field 'bogus'/)],
  ]);
  await t.test('the account is unchanged after the refused modify() calls', () => {
    assert.equal(account.valid, true);
    assert.equal(account.getInfo().uri, 'sip:a@127.0.0.1');
  });
});

test('Account methods: wrong types, a Media for a Transport, malformed URIs, header injection', async (t) => {
  const other = 'sip:nobody@127.0.0.1:9';
  await matrix(t, [
    ['setRegistration()', () => account.setRegistration(), TYPE(/^renew must be a boolean, got undefined/)],
    ['setRegistration("yes")', () => account.setRegistration('yes'), TYPE(/^renew must be a boolean/)],
    ['setTransport()', () => account.setTransport(), TYPE(/^transport must be a Transport/)],
    ['setTransport(a Media)', () => account.setTransport(recorder), TYPE(/^transport must be a Transport, got an object/)],
    ['default = false', () => { account.default = false; }, VALUE(/^default can only be set to true/)],
    ['default = "x"', () => { account.default = 'x'; }, TYPE(/^default must be a boolean/)],
    ['makeCall()', () => keep(account.makeCall()), TYPE(/^destination must be a string, got undefined/)],
    ['makeCall(5)', () => keep(account.makeCall(5)), TYPE(/^destination must be a string, got number 5/)],
    ['makeCall("")', () => keep(account.makeCall('')), VALUE(/destination must be a SIP URI/)],
    ['makeCall("not a uri")', () => keep(account.makeCall('not a uri')), PJSIP(/^Account\.makeCall: Invalid Request URI/)],
    ['makeCall("sip:")', () => keep(account.makeCall('sip:')), PJSIP(/^Account\.makeCall: Invalid Request URI/)],
    ['makeCall("<sip:x")', () => keep(account.makeCall('<sip:x')), PJSIP(/^Account\.makeCall: Invalid Request URI/)],
    ['makeCall(uri, "x")', () => keep(account.makeCall(other, 'x')), TYPE(/^options must be an object/)],
    ['makeCall(uri, { headers: [] })', () => keep(account.makeCall(other, { headers: [] })), TYPE(/^options\.headers must be an object/)],
    ['makeCall(uri, { headers: { X: 5 } })', () => keep(account.makeCall(other, { headers: { X: 5 } })), TYPE(/^options\.headers\['X'\] must be a string/)],
    ['makeCall(uri, { headers: { "Bad Name": "x" } })', () => keep(account.makeCall(other, { headers: { 'Bad Name': 'x' } })), VALUE(/'Bad Name' is not a valid SIP header name/)],
    ['makeCall(uri, { headers: { "X-A": "v\\r\\nX-Evil: 1" } }) (header injection)', () => keep(account.makeCall(peerUri, { headers: { 'X-A': 'v\r\nX-Evil: 1' } })), VALUE(/X-A/)],
    ['makeCall(uri, { headers: { "X-A": "v\\nX-Evil: 1" } }) (bare LF)', () => keep(account.makeCall(peerUri, { headers: { 'X-A': 'v\nX-Evil: 1' } })), VALUE(/X-A/)],
  ]);
});

test('a deleted Account refuses every use', async (t) => {
  const gone = new sipster.Account({ idUri: 'sip:d@127.0.0.1' });
  gone.delete();
  await matrix(t, [
    ['makeCall()', () => keep(gone.makeCall(peerUri)), STATE(/^Account\.makeCall: the account has been deleted/)],
    ['modify()', () => gone.modify({ regConfig: { timeoutSec: 60 } }), STATE(/^Account\.modify: the account has been deleted/)],
    ['getInfo()', () => gone.getInfo(), STATE(/^Account\.getInfo: the account has been deleted/)],
    ['setRegistration()', () => gone.setRegistration(true), STATE(/^Account\.setRegistration: the account has been deleted/)],
    ['setTransport()', () => gone.setTransport(transport), STATE(/^Account\.setTransport: the account has been deleted/)],
    ['default = true', () => { gone.default = true; }, STATE(/^Account\.default: the account has been deleted/)],
  ]);
  await t.test('valid and default read false, delete() again is a no-op', () => {
    assert.equal(gone.valid, false);
    assert.equal(gone.default, false);
    gone.delete();
  });
});

// ---- Media ---------------------------------------------------------------------------

test('Media methods: wrong types, a Transport for a Media, out-of-range levels', async (t) => {
  await matrix(t, [
    ['startTransmitTo()', () => player.startTransmitTo(), TYPE(/^sink must be a Media, got undefined/)],
    ['startTransmitTo(a Transport)', () => player.startTransmitTo(transport), TYPE(/^sink must be a Media, got an object/)],
    ['startTransmitTo(the native handle)', () => player.startTransmitTo(recorder._native), TYPE(/^sink must be a Media/)],
    ['stopTransmitTo("x")', () => player.stopTransmitTo('x'), TYPE(/^sink must be a Media, got string x/)],
    ['adjustTxLevel()', () => recorder.adjustTxLevel(), TYPE(/^level must be a number/)],
    ['adjustTxLevel("1")', () => recorder.adjustTxLevel('1'), TYPE(/^level must be a number, got string 1/)],
    ['adjustTxLevel(-1)', () => recorder.adjustTxLevel(-1), RANGE(/^Media\.adjustTxLevel: level must be from 0 to 100 .* got -1/)],
    ['adjustRxLevel(-1)', () => player.adjustRxLevel(-1), RANGE(/^Media\.adjustRxLevel: level must be from 0 to 100 .* got -1/)],
    ['adjustTxLevel(NaN)', () => recorder.adjustTxLevel(NaN), RANGE(/^Media\.adjustTxLevel: level/)],
    ['adjustRxLevel(Infinity)', () => player.adjustRxLevel(Infinity), RANGE(/^Media\.adjustRxLevel: level/)],
  ]);
  await t.test('the player and recorder still work after the refused calls', () => {
    player.startTransmitTo(recorder);
    recorder.adjustTxLevel(1);
    player.stopTransmitTo(recorder);
    assert.equal(typeof recorder.txLevel, 'number');
  });
});

test('a closed Media refuses every use', async (t) => {
  const closed = sipster.createRecorder(file('closed.wav'));
  const open = sipster.createPlayer(file('tone.wav'));
  closed.close();
  try {
    await matrix(t, [
      ['startTransmitTo()', () => closed.startTransmitTo(open), STATE(/^Media\.startTransmitTo: the media is closed/)],
      ['stopTransmitTo()', () => closed.stopTransmitTo(open), STATE(/^Media\.stopTransmitTo: the media is closed/)],
      ['an open media startTransmitTo(closed)', () => open.startTransmitTo(closed), STATE(/^Media\.startTransmitTo: the media is closed/)],
      ['adjustTxLevel()', () => closed.adjustTxLevel(1), STATE(/^Media\.adjustTxLevel: the media is closed/)],
      ['adjustRxLevel()', () => closed.adjustRxLevel(1), STATE(/^Media\.adjustRxLevel: the media is closed/)],
      ['txLevel', () => closed.txLevel, STATE(/^Media\.txLevel: the media is closed/)],
      ['rxLevel', () => closed.rxLevel, STATE(/^Media\.rxLevel: the media is closed/)],
    ]);
    await t.test('close() again is a no-op', () => closed.close());
  } finally {
    open.close();
  }
});

// ---- Call ----------------------------------------------------------------------------

test('Call methods on a live call: wrong types, out-of-range codes, malformed URIs, bad digits', async (t) => {
  const { call } = await outgoingCall();
  await matrix(t, [
    ['hangup(800)', () => call.hangup(800), RANGE(/^Call\.hangup: statusCode must be from 200 to 699, got 800/)],
    ['hangup(100)', () => call.hangup(100), RANGE(/^Call\.hangup: statusCode must be from 200 to 699, got 100/)],
    ['hangup("486")', () => call.hangup('486'), TYPE(/^statusCode must be an integer, got string 486/)],
    ['hangup(486.5)', () => call.hangup(486.5), TYPE(/^statusCode must be an integer/)],
    ['hangup(603, 5)', () => call.hangup(603, 5), TYPE(/^reason must be a string/)],
    ['hangup(603, "x", { headers: { "a b": "x" } })', () => call.hangup(603, 'x', { headers: { 'a b': 'x' } }), VALUE(/'a b' is not a valid SIP header name/)],
    ['answer() on an outgoing call', () => call.answer(), PJSIP(/^Call\.answer: /)],
    ['transfer()', () => call.transfer(), TYPE(/^destination must be a string, got undefined/)],
    ['transfer(5)', () => call.transfer(5), TYPE(/^destination must be a string, got number 5/)],
    ['transfer("")', () => call.transfer(''), VALUE(/destination must be a SIP URI/)],
    ['transfer("not a uri")', () => call.transfer('not a uri'), PJSIP(/^Call\.transfer: .*URI/)],
    ['transfer("sip:")', () => call.transfer('sip:'), PJSIP(/^Call\.transfer: .*URI/)],
    ['transfer("<sip:x")', () => call.transfer('<sip:x'), PJSIP(/^Call\.transfer: .*URI/)],
    ['dtmf()', () => call.dtmf(), TYPE(/^digits must be a string/)],
    ['dtmf(5)', () => call.dtmf(5), TYPE(/^digits must be a string, got number 5/)],
    ['dtmf("")', () => call.dtmf(''), VALUE(/^Call\.dtmf: digits must be 0-9, \*, # or A-D, got ''/)],
    ['dtmf("12x")', () => call.dtmf('12x'), VALUE(/^Call\.dtmf: digits must be .* got '12x'/)],
    ['hold("x")', () => call.hold('x'), TYPE(/^options must be an object/)],
    ['hold({ headers: ["x"] })', () => call.hold({ headers: ['x'] }), TYPE(/^options\.headers must be an object/)],
    ['reinvite({ headers: { "a b": "x" } })', () => call.reinvite({ headers: { 'a b': 'x' } }), VALUE(/'a b' is not a valid SIP header name/)],
    ['update(5)', () => call.update(5), TYPE(/^options must be an object/)],
    ['reinvite({ headers: { "X-A": "v\\r\\nX-Evil: 1" } }) (header injection)', () => call.reinvite({ headers: { 'X-A': 'v\r\nX-Evil: 1' } }), VALUE(/X-A/)],
    ['getStatsDump("yes")', () => call.getStatsDump('yes'), TYPE(/^inclMediaStats must be a boolean/)],
    ['getStatsDump(true, 5)', () => call.getStatsDump(true, 5), TYPE(/^indent must be a string/)],
  ]);
  await t.test('the call is still up and hangs up normally', async () => {
    assert.equal(call.isActive, true);
    assert.equal(call.state, 'confirmed');
    const ended = waitFor(call, 'disconnected');
    call.hangup();
    await ended;
  });
});

test('Call.answer() on an incoming call: out-of-range codes, wrong types, status-line injection', async (t) => {
  const call = await incomingCall();
  await matrix(t, [
    ['answer(99)', () => call.answer(99), RANGE(/^Call\.answer: statusCode must be from 100 to 699, got 99/)],
    ['answer(700)', () => call.answer(700), RANGE(/^Call\.answer: statusCode must be from 100 to 699, got 700/)],
    ['answer("200")', () => call.answer('200'), TYPE(/^statusCode must be an integer, got string 200/)],
    ['answer(200.5)', () => call.answer(200.5), TYPE(/^statusCode must be an integer/)],
    ['answer(486, 5)', () => call.answer(486, 5), TYPE(/^reason must be a string/)],
    ['answer(180, "x", "y")', () => call.answer(180, 'x', 'y'), TYPE(/^options must be an object/)],
    ['answer(180, "x", { headers: { X: 1 } })', () => call.answer(180, 'x', { headers: { X: 1 } }), TYPE(/^options\.headers\['X'\] must be a string/)],
    ['answer(486, "Busy\\r\\nX-Evil: 1") (status-line injection)', () => call.answer(486, 'Busy\r\nX-Evil: 1'), VALUE(/reason/)],
    ['answer(486, "x", { headers: { "X-A": "b\\nX-Evil: 2" } }) (header injection)', () => call.answer(486, 'x', { headers: { 'X-A': 'b\nX-Evil: 2' } }), VALUE(/X-A/)],
  ]);
  await t.test('the call can still be answered and hung up', async () => {
    if (call.state === 'disconnected') assert.fail('a refused answer() ended the call');
    const confirmed = waitFor(call, 'confirmed');
    call.answer(200);
    await confirmed;
    const ended = waitFor(call, 'disconnected');
    call.hangup();
    await ended;
  });
});

test('a disconnected call, and its media, refuse every use', async (t) => {
  const { call, stream } = await outgoingCall();
  const ended = waitFor(call, 'disconnected');
  call.hangup();
  await ended;
  await matrix(t, [
    ['answer()', () => call.answer(200), STATE(/^Call\.answer: the call has ended/)],
    ['hangup()', () => call.hangup(), STATE(/^Call\.hangup: the call has ended/)],
    ['hold()', () => call.hold(), STATE(/^Call\.hold: the call has ended/)],
    ['reinvite()', () => call.reinvite(), STATE(/^Call\.reinvite: the call has ended/)],
    ['update()', () => call.update(), STATE(/^Call\.update: the call has ended/)],
    ['transfer()', () => call.transfer(peerUri), STATE(/^Call\.transfer: the call has ended/)],
    ['dtmf()', () => call.dtmf('1'), STATE(/^Call\.dtmf: the call has ended/)],
    ['stream.startTransmitTo()', () => stream.startTransmitTo(recorder), STATE(/^Media\.startTransmitTo: the call of this media has ended/)],
    ['player.startTransmitTo(stream)', () => player.startTransmitTo(stream), STATE(/the call of this media has ended/)],
    ['stream.adjustRxLevel()', () => stream.adjustRxLevel(1), STATE(/^Media\.adjustRxLevel: the call of this media has ended/)],
    ['stream.rxLevel', () => stream.rxLevel, STATE(/^Media\.rxLevel: the call of this media has ended/)],
  ]);
  await t.test('its properties still read the final values', () => {
    assert.equal(call.state, 'disconnected');
    assert.equal(call.isActive, false);
    assert.equal(call.hasMedia, false);
    assert.equal(call.getInfo().state, 'disconnected');
    assert.ok(call.connDuration >= 0);
    // The report as the call ended stays readable.
    assert.match(call.getStatsDump(), /Call time:/);
  });
});

// ---- in a child process: before init(), after shutdown(), could-abort cases -----------

function runChild(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CHILD, ...args], { timeout: 30000 }, (err, stdout, stderr) => {
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const results = new Map(lines.filter((l) => l.case).map((l) => [l.case, l]));
      resolve({ code: err ? err.code ?? null : 0, signal: err?.signal ?? null, stderr, results, done: lines.some((l) => l.done) });
    });
  });
}

// Checks one reported case against an expected error (or a value).
function childCase(results, name, expected) {
  const r = results.get(name);
  assert.ok(r, `no result for ${name}`);
  if (expected.value !== undefined) {
    assert.equal(r.threw, false, `${name} threw ${r.name} ${r.code}: ${r.message}`);
    assert.equal(r.value, expected.value);
    return;
  }
  assert.equal(r.threw, true, `${name} did not throw (returned ${r.value})`);
  const seen = `${r.name} ${r.code}: ${r.message}`;
  assert.equal(r.name, expected.name, `error class; got ${seen}`);
  assert.equal(r.code, expected.code, `err.code; got ${seen}`);
  assert.match(r.message, expected.message, `message; got ${seen}`);
}

// The child exited by itself, with code 0, after its last case.
function assertRanToEnd(child) {
  assert.equal(child.signal, null, child.stderr);
  assert.equal(child.code, 0, child.stderr);
  assert.ok(child.done, child.stderr);
}

const NOT_INIT = (fn) => STATE(new RegExp(`^${fn}: the library is not initialized`));

// The library's own functions refuse the same way before init() and after
// shutdown() (libraryCalls() in the child).
const NOT_INITIALIZED = [
  ['state', { value: 'null' }],
  ['start()', NOT_INIT('start')],
  ['hangupAllCalls()', NOT_INIT('hangupAllCalls')],
  ['new Transport()', NOT_INIT('new Transport')],
  ['new Account()', NOT_INIT('new Account')],
  ['createPlayer()', NOT_INIT('createPlayer')],
  ['createRecorder()', NOT_INIT('createRecorder')],
  ['config', NOT_INIT('config')],
];

test('before init() (child process): every function refuses, init() refuses bad arguments', async (t) => {
  const child = await runChild('before-init');
  await t.test('the child ran to the end', () => assertRanToEnd(child));
  const cases = [
    ...NOT_INITIALIZED,
    ['createPlaylist()', STATE(/^create(Player|Playlist): the library is not initialized/)],
    ['maxCalls', { value: '0' }],
    ['callCount', { value: '0' }],
    ['shutdown()', { value: null }],
    ['init("verbose")', TYPE(/^epConfig must be an object, got string verbose/)],
    ['init(uaConfig.maxCalls "x")', TYPE(/epConfig: field 'uaConfig\.maxCalls' must be a number, not a string/)],
    ['init(uaConfig.maxCalls -1)', RANGE(/'uaConfig\.maxCalls'/)],
    ['init(uaConfig.threadCnt 0)', RANGE(/'uaConfig\.threadCnt' must be at least 1/)],
    ['init(uaConfig.nameserver "x")', TYPE(/'uaConfig\.nameserver' must be an array, not a string/)],
    ['init(logConfig.writer "x")', TYPE(/^epConfig\.logConfig\.writer must be a function, got string x/)],
    ['init(logConfig "x")', TYPE(/^epConfig\.logConfig must be an object/)],
    ['init(logConfig.level "x")', TYPE(/'logConfig\.level' must be a number, not a string/)],
    ['init(medConfig.clockRate 8000.5)', RANGE(/'medConfig\.clockRate' must be an integer, got 8000\.5/)],
    ['init(medConfig.noVad 1)', TYPE(/'medConfig\.noVad' must be a boolean, not a number/)],
    ['init(unknown field)', TYPE(/epConfig: unknown field 'uaConfig\.maxCall'/)],
    ['init(unknown section)', TYPE(/epConfig: unknown field 'sipConfig'/)],
    ['init({}, "x")', TYPE(/^options must be an object, got string x/)],
    ['init(options.mediaTimeoutSec -1)', RANGE(/^options\.mediaTimeoutSec must be from 0 to 86400 seconds, got -1/)],
    ['init(options.mediaTimeoutSec "5")', TYPE(/^options\.mediaTimeoutSec must be a number, got string 5/)],
    ['init(options.mediaTimeoutSec NaN)', RANGE(/^options\.mediaTimeoutSec must be from 0 to 86400 seconds/)],
    ['init(options.mediaTimeoutSec 86401)', RANGE(/^options\.mediaTimeoutSec must be from 0 to 86400 seconds, got 86401/)],
    ['init(options.admissionGuard "yes")', TYPE(/^options\.admissionGuard must be a boolean, got string yes/)],
    ['init(options unknown field)', TYPE(/options: unknown field 'mediaTimeout'/)],
    ['init() after the bad ones', { value: 'running' }],
  ];
  for (const [name, expected] of cases) {
    await t.test(name, () => {
      childCase(child.results, name, expected);
      // A refused init() leaves the library uninitialized.
      if (name.startsWith('init(') && expected.value === undefined) {
        childCase(child.results, `${name} / state after`, { value: 'null' });
      }
    });
  }
});

test('after shutdown() (child process): library calls and every object from before refuse', async (t) => {
  const child = await runChild('after-shutdown');
  await t.test('the child ran to the end with a call up at shutdown', () => {
    assertRanToEnd(child);
    assert.match(child.results.get('live before shutdown')?.value ?? '', /^(connecting|confirmed) 2$/);
  });
  const cases = [
    ...NOT_INITIALIZED,
    ['transport.getInfo()', STATE(/^Transport\.getInfo: the transport is closed/)],
    ['transport.enable()', STATE(/^Transport\.enable: the transport is closed/)],
    ['tcp transport.disable()', STATE(/^Transport\.disable: the transport is closed/)],
    ['account.makeCall()', STATE(/^Account\.makeCall: the account has been deleted/)],
    ['account.modify()', STATE(/^Account\.modify: the account has been deleted/)],
    ['account.getInfo()', STATE(/^Account\.getInfo: the account has been deleted/)],
    ['account.setRegistration()', STATE(/^Account\.setRegistration: the account has been deleted/)],
    ['account.setTransport()', STATE(/^Account\.setTransport: the account has been deleted/)],
    ['account.valid', { value: 'false' }],
    ['call.hangup()', STATE(/^Call\.hangup: the call has ended/)],
    ['call.answer()', STATE(/^Call\.answer: the call has ended/)],
    ['call.hold()', STATE(/^Call\.hold: the call has ended/)],
    ['call.reinvite()', STATE(/^Call\.reinvite: the call has ended/)],
    ['call.transfer()', STATE(/^Call\.transfer: the call has ended/)],
    ['call.dtmf()', STATE(/^Call\.dtmf: the call has ended/)],
    ['call.getStatsDump()', STATE(/^Call\.getStatsDump: the call has ended/)],
    ['call.isActive', { value: 'false' }],
    ['stream.startTransmitTo()', STATE(/^Media\.startTransmitTo: the call of this media has ended/)],
    ['stream.adjustRxLevel()', STATE(/^Media\.adjustRxLevel: the call of this media has ended/)],
    ['player.startTransmitTo()', STATE(/^Media\.startTransmitTo: the media is closed/)],
    ['recorder.adjustTxLevel()', STATE(/^Media\.adjustTxLevel: the media is closed/)],
    ['recorder.txLevel', STATE(/^Media\.txLevel: the media is closed/)],
    ['recorder.close()', { value: null }],
    ['shutdown() again', { value: null }],
    ['init() again', { value: 'UDP' }],
  ];
  for (const [name, expected] of cases) {
    await t.test(name, () => childCase(child.results, name, expected));
  }
});

test('inputs that reach pjproject asserts (each in its own child process): refused, no abort', async (t) => {
  const cases = [
    ['createPlayer("")', VALUE(/^createPlayer: a file name must not be empty/)],
    ['createPlaylist(["", ""])', VALUE(/^createPlaylist: a file name must not be empty/)],
    ['createRecorder("")', VALUE(/^createRecorder: a file name must not be empty/)],
    ['recorder.adjustTxLevel(1e9)', RANGE(/^Media\.adjustTxLevel: level/)],
    ['recorder.adjustRxLevel(1e9)', RANGE(/^Media\.adjustRxLevel: level/)],
    ['recorder.adjustTxLevel(Number.MAX_VALUE)', RANGE(/^Media\.adjustTxLevel: level/)],
  ];
  for (const [name, expected] of cases) {
    await t.test(name, async () => {
      const child = await runChild('single', name);
      assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr.trim()}`);
      assert.equal(child.code, 0, `exit code ${child.code}: ${child.stderr.trim()}`);
      childCase(child.results, name, expected);
    });
  }
});
