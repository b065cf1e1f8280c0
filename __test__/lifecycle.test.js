'use strict';

// Library lifecycle against the real pjsua2: what init/start do, the
// version and config they report, and the errors around them.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { TYPE } = require('./helpers/errors');
const { loopbackAccount } = require('./helpers/loopback');
const { parseMessages, findMessages } = require('./helpers/sip-trace');
const { waitUntil } = require('./helpers/events');

test('calls before init() raise a state error', () => {
  assert.equal(sipster.state, 'null');
  for (const call of [
    () => sipster.start(),
    () => sipster.hangupAllCalls(),
    () => new sipster.Transport({ port: 0 }),
    () => new sipster.Account({ idUri: 'sip:127.0.0.1' }),
    () => sipster.createRecorder('/tmp/never.wav'),
  ]) {
    assert.throws(call, (err) => {
      assert.equal(err.code, 'ERR_SIPSTER_STATE');
      assert.match(err.message, /not initialized/);
      assert.equal(typeof err.status, 'number');
      return true;
    });
  }
});

test('wrong argument types to init() are TypeErrors naming the field, and leave the library uninitialized', () => {
  const cases = [
    [() => sipster.init('verbose'), /epConfig must be an object/],
    [() => sipster.init({ uaConfig: { maxCalls: 'four' } }), /'uaConfig\.maxCalls' must be a number, not a string/],
    [() => sipster.init({ uaConfig: { nameserver: '127.0.0.1' } }), /'uaConfig\.nameserver' must be an array/],
    [() => sipster.init({ logConfig: { writer: 'console' } }), /epConfig\.logConfig\.writer must be a function/],
    [() => sipster.init({ medConfig: { noVad: 1 } }), /'medConfig\.noVad' must be a boolean, not a number/],
    [() => sipster.init({ uaConfig: { maxCall: 4 } }), /unknown field 'uaConfig\.maxCall'/],
    [() => sipster.init({}, { mediaTimeoutSec: '5' }), /options\.mediaTimeoutSec must be a number/],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, TYPE(message));
  }
  assert.throws(() => sipster.init({ uaConfig: { maxCalls: 2.5 } }), { name: 'RangeError', message: /'uaConfig\.maxCalls' must be an integer/ });
  assert.throws(() => sipster.init({ uaConfig: { mainThreadOnly: true } }), { name: 'RangeError', message: /mainThreadOnly/ });
  assert.equal(sipster.state, 'null');
});

test('init() and start() reach running, once each', () => {
  const lines = [];
  sipster.init({
    uaConfig: { userAgent: 'sipster-test', maxCalls: 4 },
    logConfig: { level: 4, consoleLevel: 4, writer: (level, msg) => lines.push([level, msg]) },
  });
  assert.equal(sipster.state, 'init');
  assert.throws(() => sipster.init(), { code: 'ERR_SIPSTER_STATE', message: /already initialized/ });
  sipster.start();
  assert.equal(sipster.state, 'running');
  assert.throws(() => sipster.start(), { code: 'ERR_PJSIP', message: /already started/ });
  return new Promise((resolve) => setTimeout(resolve, 100)).then(() => {
    // The writer got pjsip's own log lines, through the event bridge.
    assert.ok(lines.length > 0, 'log writer received nothing');
    assert.ok(lines.some(([, msg]) => /pjsua|PJSUA/.test(msg)), 'no pjsua line in the log');
    assert.ok(lines.every(([level]) => Number.isInteger(level) && level <= 4));
  });
});

test('wrong argument types to new Transport() are TypeErrors naming the field', () => {
  const cases = [
    [() => new sipster.Transport({ port: '5060' }), /transportConfig: field 'port' must be a number, not a string/],
    [() => new sipster.Transport({ boundAddress: 127 }), /'boundAddress' must be a string/],
    [() => new sipster.Transport({ tlsConfig: { verifyServer: 'yes' } }), /'tlsConfig\.verifyServer' must be a boolean/],
    [() => new sipster.Transport({ port: 0 }, 'sctp'), /type must be one of 'udp', 'tcp', 'tls', 'udp6', 'tcp6', 'tls6', not 'sctp'/],
    [() => new sipster.Transport({ port: 0 }, 17), /type must be a string/],
    [() => new sipster.Transport([5060]), /transportConfig must be an object/],
    [() => new sipster.Transport({ prot: 5060 }), /unknown field 'prot'/],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, (err) => {
      assert.equal(err.name, 'TypeError', err.message);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('version is the installed pjproject', () => {
  const installed = execFileSync('pkg-config', ['--modversion', 'libpjproject'], { encoding: 'utf8' }).trim();
  const v = sipster.version;
  assert.equal(v.full, installed);
  assert.equal(`${v.major}.${v.minor}${v.rev ? `.${v.rev}` : ''}${v.suffix}`, installed);
  assert.equal(v.numeric, ((v.major << 24) | (v.minor << 16) | (v.rev << 8)) >>> 0);
});

test('config shows the given values and pjsua2 defaults for the rest', () => {
  const config = sipster.config;
  const defaults = sipster.defaultConfig('EpConfig');
  assert.equal(config.uaConfig.userAgent, 'sipster-test');
  assert.equal(config.logConfig.level, 4);
  // Untouched fields keep pjsua2's defaults.
  assert.equal(config.uaConfig.threadCnt, defaults.uaConfig.threadCnt);
  assert.equal(config.medConfig.clockRate, defaults.medConfig.clockRate);
  assert.equal(config.medConfig.ecTailLen, defaults.medConfig.ecTailLen);
  assert.deepEqual(Object.keys(config).sort(), ['logConfig', 'medConfig', 'uaConfig']);
  // sipster keeps the bridge clock running (see README: pjproject 2.15 leaks
  // conference ports when the null sound device auto-closes).
  assert.equal(config.medConfig.sndAutoCloseTime, -1);
});

test('library getters report the bridge and the call limit', () => {
  assert.equal(sipster.mediaMaxPorts, sipster.defaultConfig('EpConfig').medConfig.maxMediaPorts);
  assert.ok(sipster.mediaActivePorts >= 1, 'the null sound device occupies slot 0');
  assert.ok(sipster.maxCalls >= 1 && sipster.maxCalls <= 4);
  assert.equal(sipster.callCount, 0);
  sipster.hangupAllCalls();
});

test('constants come from the installed headers', () => {
  assert.equal(sipster.PJSIP_TRANSPORT_UDP, 1);
  assert.equal(sipster.PJSIP_CRED_DATA_PLAIN_PASSWD, 0);
  assert.equal(sipster.PJMEDIA_SRTP_MANDATORY, 2);
  assert.equal(sipster.PJ_LOG_HAS_NEWLINE, 128);
  assert.equal(sipster.constants.PJSIP_TLSV1_2_METHOD, sipster.PJSIP_TLSV1_2_METHOD);
});

test('shutdown() destroys the library once', () => {
  sipster.shutdown();
  assert.equal(sipster.state, 'null');
  sipster.shutdown();
  assert.throws(() => sipster.start(), { code: 'ERR_SIPSTER_STATE' });
});

// The shim puts its own call-state and transaction handlers in pjsua's
// callback table at each init(): after a second init(), an INFO (which
// only the shim's handler answers 200; pjsip's dialog layer would say 500)
// still reaches JS, and the call's states arrive.
test('init() after shutdown() gives a library whose calls answer INFO and report their states', { timeout: 30000 }, async () => {
  sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
  const { transport, account, port } = loopbackAccount(sipster, { idUri: 'sip:again@127.0.0.1', port: await freePort() });
  sipster.start();
  const states = [];
  let info;
  account.on('call', (callInfo, call) => {
    call.on('state', (state) => states.push(state));
    call.on('info', (i) => (info = i));
    call.answer(200);
  });
  try {
    const result = await runSipp({
      scenario: 'uac_call_hold.xml',
      remote: `127.0.0.1:${port}`,
      localPort: await freePort(),
      duration: 200,
      timeoutMs: 20000,
      replace: { 'Content-Type: application/dtmf-relay': 'Content-Type: text/plain', 'Signal=5': 'again', 'Duration=160': '' },
    });
    assert.equal(result.code, 0, `SIPp expected a 200 to its INFO\n${result.errors}`);
    const [okInfo] = findMessages(parseMessages(result.messages), { direction: 'received', cseqMethod: 'INFO' });
    assert.equal(okInfo.status, 200);
    await waitUntil(() => states.includes('disconnected'), 5000);
    assert.deepEqual(states.filter((s) => ['connecting', 'confirmed', 'disconnected'].includes(s)), ['connecting', 'confirmed', 'disconnected']);
    assert.equal(info?.body.trim(), 'again');
  } finally {
    account.delete();
    transport.close();
    sipster.shutdown();
  }
});
