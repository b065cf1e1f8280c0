'use strict';

// Accounts: registration against a registrar that challenges (401) and
// checks the MD5 digest (SIPp's registrar_auth.xml, with verifyauth), the
// account's info, deletion, and which account is the default one.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startSipp } = require('../harness/sipp');
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');
const { record, incomingCalls, waitUntil, sleep, ACCOUNT_EVENTS } = require('./helpers/events');
const { TYPE, VALUE } = require('./helpers/errors');

const REALM = 'sipster.test';

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });

let sipPort;
let transport;

before(async () => {
  sipPort = await freePort();
  transport = new sipster.Transport({ port: sipPort, boundAddress: '127.0.0.1' });
  sipster.start();
});

after(() => {
  transport.close();
  sipster.shutdown();
});

// A registrar of its own for each test (registrar_auth.xml: user alice,
// password secret, realm sipster.test); `calls` covers every Call-ID pjsip
// may use (each registration session is a SIPp "call").
async function startRegistrar() {
  const port = await freePort();
  const sipp = await startSipp({ scenario: 'registrar_auth.xml', localPort: port, calls: 50 });
  return { port, sipp, registers: () => findMessages(parseMessages(sipp.messages()), { direction: 'received', method: 'REGISTER' }) };
}

function registeringAccount(registrarPort, { username = 'alice', password = 'secret', timeoutSec = 120 } = {}) {
  return new sipster.Account({
    idUri: `sip:${username}@${REALM}`,
    regConfig: { registrarUri: `sip:127.0.0.1:${registrarPort}`, timeoutSec },
    sipConfig: {
      authCreds: [{ scheme: 'digest', realm: REALM, username, dataType: sipster.PJSIP_CRED_DATA_PLAIN_PASSWD, data: password }],
    },
  });
}

// The response SIPp sent to a REGISTER (same Call-ID and CSeq).
function responseTo(messages, request) {
  return messages.find((m) => m.direction === 'sent' && m.status
    && header(m, 'call-id') === header(request, 'call-id') && m.cseq === request.cseq);
}

// SIPp's trace, once it holds the responses to every REGISTER in it (SIPp
// writes a response to its trace after sending it: pjsip may be faster).
function answeredTrace(registrar) {
  return waitUntil(() => {
    const msgs = parseMessages(registrar.sipp.messages());
    const requests = findMessages(msgs, { direction: 'received', method: 'REGISTER' });
    return requests.every((r) => responseTo(msgs, r)) && msgs;
  }, 5000, 'a response to every REGISTER in the trace');
}

const isUnregister = (m) => header(m, 'expires') === '0' || /;\s*expires=0\b/.test(header(m, 'contact') || '');

test('good credentials: 401 challenge, digest accepted, registered with the granted expiry; unregister and re-register', { timeout: 30000 }, async () => {
  const registrar = await startRegistrar();
  const account = registeringAccount(registrar.port, { timeoutSec: 120 });
  const events = record(account, ACCOUNT_EVENTS);
  try {
    const [active, code] = await events.waitFor('state');
    assert.equal(active, true);
    assert.equal(code, 200);
    await events.waitFor('registered');
    assert.deepEqual(events.names(), ['registering', 'state', 'registered']);

    const info = account.getInfo();
    assert.equal(info.uri, `sip:alice@${REALM}`);
    assert.equal(info.regIsConfigured, true);
    assert.equal(info.regIsActive, true);
    assert.equal(info.regStatus, 200);
    assert.equal(info.regStatusText, 'OK');
    assert.equal(typeof info.id, 'number');
    assert.equal(typeof info.isDefault, 'boolean');
    // pjsua counts down to the refresh, sent delayBeforeRefreshSec early.
    const delay = sipster.defaultConfig('AccountConfig').regConfig.delayBeforeRefreshSec;
    assert.ok(
      info.regExpiresSec <= 120 - delay && info.regExpiresSec >= 120 - delay - 3,
      `regExpiresSec ${info.regExpiresSec} (granted 120, refresh ${delay} s early)`,
    );
    assert.equal(account.valid, true);

    // The wire: unauthenticated REGISTER -> 401, then the digest -> 200 with Expires: 120.
    let msgs = await answeredTrace(registrar);
    const [first, second] = registrar.registers();
    assert.equal(header(first, 'authorization'), undefined);
    assert.equal(header(first, 'expires'), '120');
    assert.equal(responseTo(msgs, first).status, 401);
    assert.match(header(second, 'authorization'), new RegExp(`^Digest .*username="alice".*realm="${REALM}"`));
    const granted = responseTo(msgs, second);
    assert.equal(granted.status, 200);
    assert.equal(header(granted, 'expires'), '120');

    // setRegistration(false): a REGISTER with Expires: 0.
    account.setRegistration(false);
    const [active2, code2] = await events.waitFor('state', (a) => a === false);
    assert.equal(active2, false);
    assert.equal(code2, 200);
    await events.waitFor('unregistered');
    assert.deepEqual(events.names().slice(3), ['unregistering', 'state', 'unregistered']);
    assert.equal(account.getInfo().regIsActive, false);
    msgs = await answeredTrace(registrar);
    const unregisters = registrar.registers().filter(isUnregister);
    assert.ok(unregisters.length >= 1, 'no REGISTER with Expires: 0');
    assert.equal(responseTo(msgs, unregisters[unregisters.length - 1]).status, 200);

    // And back.
    account.setRegistration(true);
    await events.waitFor('registered');
    assert.equal(account.getInfo().regIsActive, true);
    assert.ok(account.getInfo().regExpiresSec > 0);
  } finally {
    account.delete();
    await registrar.sipp.stop();
  }
});

test('wrong credentials: the registrar answers 403 and the account reports state(false, 403)', { timeout: 30000 }, async () => {
  const registrar = await startRegistrar();
  const wrongPassword = registeringAccount(registrar.port, { password: 'not-the-secret' });
  const wrongUser = registeringAccount(registrar.port, { username: 'mallory', password: 'secret' });
  const events = [record(wrongPassword, ACCOUNT_EVENTS), record(wrongUser, ACCOUNT_EVENTS)];
  try {
    for (const [i, account] of [wrongPassword, wrongUser].entries()) {
      const [active, code] = await events[i].waitFor('state');
      assert.equal(active, false);
      assert.ok(code === 401 || code === 403, `status ${code}`);
      assert.equal(code, 403);
      assert.ok(!events[i].names().includes('registered'));
      const info = account.getInfo();
      assert.equal(info.regIsActive, false);
      assert.equal(info.regStatus, 403);
    }
    // The wire: each account was challenged, answered with a digest, and refused.
    const msgs = await answeredTrace(registrar);
    const withAuth = registrar.registers().filter((m) => header(m, 'authorization'));
    assert.equal(withAuth.length, 2);
    for (const m of withAuth) assert.equal(responseTo(msgs, m).status, 403);
    assert.deepEqual(
      withAuth.map((m) => /username="([^"]+)"/.exec(header(m, 'authorization'))[1]).sort(),
      ['alice', 'mallory'],
    );
  } finally {
    wrongPassword.delete();
    wrongUser.delete();
    await registrar.sipp.stop();
  }
});

test('delete() unregisters a registered account (Expires: 0 on the wire) and makes it invalid', { timeout: 30000 }, async () => {
  const registrar = await startRegistrar();
  const account = registeringAccount(registrar.port);
  const events = record(account, ACCOUNT_EVENTS);
  try {
    await events.waitFor('registered');
    const sent = registrar.registers().length;
    account.delete();
    assert.equal(account.valid, false);
    await waitUntil(() => registrar.registers().slice(sent).some(isUnregister), 5000, 'a REGISTER with Expires: 0');
    const unregister = registrar.registers().slice(sent).find(isUnregister);
    assert.equal(header(unregister, 'call-id'), header(registrar.registers()[0], 'call-id'));

    // A deleted account is inert: methods throw a state error naming them.
    for (const [name, op] of [
      ['getInfo', () => account.getInfo()],
      ['setRegistration', () => account.setRegistration(true)],
      ['makeCall', () => account.makeCall('sip:bob@127.0.0.1')],
      ['modify', () => account.modify({ regConfig: { timeoutSec: 60 } })],
      ['default', () => {
        account.default = true;
      }],
    ]) {
      assert.throws(op, (err) => {
        assert.equal(err.code, 'ERR_SIPSTER_STATE', name);
        assert.match(err.message, new RegExp(`Account\\.${name}: the account has been deleted`));
        return true;
      });
    }
    assert.equal(account.default, false);
    account.delete(); // twice is harmless
  } finally {
    await registrar.sipp.stop();
  }
});

test('getInfo() and the default account: an incoming call no account matches goes to the default', { timeout: 30000 }, async () => {
  // pjsua 2.15 scores the accounts for an incoming request (transport type,
  // domain, user) and falls back to the default account only when none
  // scores at all: so both accounts here are bound to a TCP transport, with
  // other domains and users, and the INVITE comes over UDP. (Their dialogs
  // are then bound to TCP too: pjsip cannot send the responses back to
  // SIPp over UDP, so this test looks at the routing only.)
  const tcp = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' }, 'tcp');
  const one = new sipster.Account({ idUri: 'sip:one@example.invalid', sipConfig: { transport: tcp } });
  const two = new sipster.Account({ idUri: 'sip:two@example.invalid', sipConfig: { transport: tcp } }, true);
  const toOne = incomingCalls(one);
  const toTwo = incomingCalls(two);
  try {
    assert.equal(two.default, true);
    assert.equal(one.default, false);
    const info = one.getInfo();
    assert.equal(info.uri, 'sip:one@example.invalid');
    assert.equal(info.isDefault, false);
    assert.equal(info.regIsConfigured, false);
    assert.equal(info.regIsActive, false);
    assert.equal(two.getInfo().isDefault, true);
    assert.notEqual(one.getInfo().id, two.getInfo().id);

    // A call to sip:nobody@127.0.0.1 matches neither account: the default gets it.
    const callNobody = async (queue) => {
      const next = queue.next();
      const sipp = await startSipp({ scenario: 'uac_call_reject.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), service: 'nobody', timeoutMs: 15000 });
      try {
        const { info: callInfo, call, events } = await next;
        assert.match(callInfo.localUri, /sip:nobody@127\.0\.0\.1/);
        assert.equal(findMessages(parseMessages(sipp.messages()), { direction: 'sent', method: 'INVITE' }).length >= 1, true);
        call.hangup(480);
        await events.waitFor('disconnected');
      } finally {
        await sipp.stop();
      }
    };
    await callNobody(toTwo);
    assert.equal(toOne.pending, 0);

    one.default = true;
    assert.equal(one.default, true);
    assert.equal(two.default, false);
    assert.equal(one.getInfo().isDefault, true);
    await callNobody(toOne);
    await sleep(100);
    assert.equal(toTwo.pending, 0);

    assert.throws(() => {
      one.default = false;
    }, VALUE(/default can only be set to true/));
    assert.throws(() => {
      one.default = 'yes';
    }, TYPE(/default must be a boolean/));
    assert.equal(one.default, true);
  } finally {
    one.delete();
    two.delete();
    tcp.close();
  }
});
