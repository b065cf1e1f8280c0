'use strict';

// Transfers asked of sipster (issue 10, item 6): a REFER in a call, and an
// INVITE with Replaces for a call, are held for the application while it
// listens ('transferRequest' on the call, 'replaceRequest' on the account)
// and declined (603) when nobody does. Checked on the wire with SIPp (the
// transferor, the transfer target, the replaced call's peer) and a raw
// UDP peer (the replacing INVITE).

const { test } = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startSipp } = require('../harness/sipp');
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');
const { record, CALL_EVENTS } = require('./helpers/events');
const { loopbackUas } = require('./helpers/loopback');
const { rawSipPeer, inviteWithReplaces } = require('./helpers/raw-sip');
const { STATE, VALUE } = require('./helpers/errors');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });

const uas = loopbackUas(sipster, { idUri: 'sip:ivr@127.0.0.1' });

const REFER_ANSWERS = '<recv response="202" optional="true" timeout="5000"/>';

// SIPp calls sipster and sends a REFER to `referTo` (with an X-Transfer-Id
// header); `replace` edits the scenario. Returns the answered call.
async function transferor(referTo, { replace = {}, duration = 500 } = {}) {
  const next = uas.calls.next();
  const sipp = await startSipp({
    scenario: 'uac_refer.xml',
    remote: `127.0.0.1:${uas.port}`,
    localPort: await freePort(),
    service: 'ivr',
    keys: { refer_to: referTo },
    duration,
    timeoutMs: 30000,
    replace: { 'Referred-By: <sip:sipp@[local_ip]:[local_port]>': 'Referred-By: <sip:sipp@[local_ip]:[local_port]>\n      X-Transfer-Id: t42', ...replace },
  });
  const { call, events } = await next;
  call.answer();
  return { sipp, call, events };
}

const messagesOf = async (sipp) => {
  const result = await sipp.done;
  assert.equal(result.code, 0, result.errors);
  return parseMessages(result.messages);
};

test("an accepted REFER: 202, the new call reaches the target, NOTIFYs report it to the transferor", { timeout: 40000 }, async () => {
  const targetPort = await freePort();
  const target = await startSipp({ scenario: 'uas_answer.xml', localPort: targetPort, duration: 0, timeoutMs: 30000 });
  const referTo = `sip:carol@127.0.0.1:${targetPort}`;
  const { sipp, call, events } = await transferor(referTo);

  const req = await new Promise((resolve) => call.once('transferRequest', resolve));
  assert.equal(req.target, referTo);
  assert.equal(req.headers['x-transfer-id'], 't42');
  assert.match(req.headers['referred-by'], /^<sip:sipp@127\.0\.0\.1:\d+>$/);
  assert.match(req.wholeMsg, /^REFER sip:/);
  const newCall = req.accept();
  assert.ok(newCall instanceof sipster.Call);
  assert.notEqual(newCall, call);
  const newEvents = record(newCall, CALL_EVENTS);
  const [confirmed] = await newEvents.waitFor('confirmed');
  assert.equal(confirmed.role, 'uac');
  assert.match(confirmed.remoteUri, new RegExp(`sip:carol@127\\.0\\.0\\.1:${targetPort}`));
  assert.throws(() => req.accept(), STATE(/the request has been answered already/));
  assert.throws(() => req.reject(), STATE(/the request has been answered already/));

  // The transferor: 202, a NOTIFY of 100 Trying, then the final 200 OK; it hangs up.
  const wire = await messagesOf(sipp);
  const referAnswer = findMessages(wire, { direction: 'received', cseqMethod: 'REFER' }).filter((m) => m.status >= 200);
  assert.deepEqual(referAnswer.map((m) => m.status), [202]);
  const notifies = findMessages(wire, { direction: 'received', method: 'NOTIFY' });
  assert.ok(notifies.length >= 2, `NOTIFYs: ${notifies.length}`);
  assert.match(notifies[0].body, /^SIP\/2\.0 100/);
  assert.match(notifies.at(-1).body, /^SIP\/2\.0 200/);
  assert.match(header(notifies.at(-1), 'subscription-state'), /^terminated/);
  await events.waitFor('disconnected');

  // The target got an INVITE carrying the Referred-By of the REFER.
  newCall.hangup();
  await newEvents.waitFor('disconnected');
  const [invite] = findMessages(await messagesOf(target), { direction: 'received', method: 'INVITE' });
  assert.match(header(invite, 'referred-by'), /^<sip:sipp@127\.0\.0\.1:\d+>$/);
});

test('a REFER rejected by the listener gets its status; without a listener it gets 603', { timeout: 40000 }, async () => {
  for (const [decide, status] of [[(req) => req.reject(486), 486], [null, 603]]) {
    // After the final answer SIPp skips the NOTIFYs and goes to its talk time.
    const { sipp, call, events } = await transferor('sip:nobody@127.0.0.1:9', {
      replace: { [REFER_ANSWERS]: `<recv response="${status}" timeout="5000" next="talk"/>` },
    });
    if (decide) {
      const req = await new Promise((resolve) => call.once('transferRequest', resolve));
      assert.throws(() => req.reject(200), VALUE(/statusCode must be a final error status/));
      decide(req);
    }
    const wire = await messagesOf(sipp);
    const answers = findMessages(wire, { direction: 'received', cseqMethod: 'REFER' });
    assert.deepEqual(answers.map((m) => m.status), [status]);
    await events.waitFor('disconnected');
    assert.equal(findMessages(wire, { direction: 'received', method: 'NOTIFY' }).length, 0);
  }
});

test('a REFER still held when the call ends is declined (603); deciding afterwards throws ERR_SIPSTER_STATE', { timeout: 40000 }, async () => {
  // SIPp: after the REFER, the BYE from sipster (answered 200) and the
  // REFER's answer, in either order.
  const okToBye = `<send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>`;
  const { sipp, call, events } = await transferor('sip:nobody@127.0.0.1:9', {
    replace: {
      '</scenario>': '  <label id="end"/>\n</scenario>',
      [REFER_ANSWERS]: `<recv response="603" optional="true" timeout="10000" next="declined_first"/>
  <recv request="BYE" timeout="10000"/>
  ${okToBye}
  <recv response="603" timeout="5000" next="end"/>
  <label id="declined_first"/>
  <recv request="BYE" timeout="10000"/>
  ${okToBye}
  <nop next="end"/>`,
    },
  });
  const req = await new Promise((resolve) => call.once('transferRequest', resolve));
  call.hangup();
  await events.waitFor('disconnected');
  const wire = await messagesOf(sipp);
  assert.deepEqual(findMessages(wire, { direction: 'received', cseqMethod: 'REFER' }).map((m) => m.status), [603]);
  assert.equal(findMessages(wire, { direction: 'received', method: 'BYE' }).length, 1);
  assert.throws(() => req.accept(), STATE(/^accept: the request has been answered already/));
});

// SIPp calls sipster and waits for a BYE; the raw peer then sends an
// INVITE that replaces that call.
async function replacedCall() {
  const next = uas.calls.next();
  const sipp = await startSipp({ scenario: 'uac_call_wait_bye.xml', remote: `127.0.0.1:${uas.port}`, localPort: await freePort(), timeoutMs: 30000 });
  const { call, events } = await next;
  call.answer();
  const [confirmed] = await events.waitFor('confirmed');
  const [ok] = findMessages(parseMessages(sipp.messages()), { direction: 'received', status: 200, cseqMethod: 'INVITE' });
  const replaces = {
    callId: confirmed.callId,
    toTag: /;tag=([^;>\s]+)/.exec(header(ok, 'to'))[1],
    fromTag: /;tag=([^;>\s]+)/.exec(header(ok, 'from'))[1],
  };
  return { sipp, call, events, replaces };
}

test("an accepted INVITE with Replaces: 200, the replaced call gets its BYE, the new call is up", { timeout: 40000 }, async () => {
  const { sipp, call, events, replaces } = await replacedCall();
  const peer = await rawSipPeer();
  const requests = [];
  const onRequest = (req) => {
    requests.push(req);
    return req.accept();
  };
  let newCall;
  uas.account.on('replaceRequest', (req) => {
    newCall = onRequest(req);
  });
  try {
    const { text, ack } = inviteWithReplaces(peer, uas.port, replaces, ['X-Replace-Id: r7']);
    peer.send(text, uas.port);
    const final = await peer.waitFor((m) => m.status >= 200, 5000, 'final response');
    assert.equal(final.status, 200);
    peer.send(ack(final), uas.port);

    assert.equal(requests.length, 1);
    const [req] = requests;
    assert.equal(req.call, call);
    assert.equal(req.headers['x-replace-id'], 'r7');
    assert.match(req.from, /^<sip:transferee@127\.0\.0\.1:\d+>;tag=/);
    const newEvents = record(newCall, CALL_EVENTS);
    assert.notEqual(newCall, call);
    assert.equal((await newEvents.waitFor('confirmed'))[0].role, 'uas');

    // pjsua ends the replaced call: SIPp gets its BYE and passes.
    await events.waitFor('disconnected');
    assert.equal((await sipp.done).code, 0);

    newCall.hangup();
    await newEvents.waitFor('disconnected');
    await peer.waitFor((m) => m.method === 'BYE', 5000, 'BYE');
  } finally {
    uas.account.removeAllListeners('replaceRequest');
    peer.close();
  }
});

test('an INVITE with Replaces rejected by the listener gets its status; the call goes on', { timeout: 40000 }, async () => {
  const { sipp, call, events, replaces } = await replacedCall();
  const peer = await rawSipPeer();
  uas.account.on('replaceRequest', (req) => req.reject(486));
  try {
    const { text, ack } = inviteWithReplaces(peer, uas.port, replaces);
    peer.send(text, uas.port);
    const final = await peer.waitFor((m) => m.status >= 200, 5000, 'final response');
    assert.equal(final.status, 486);
    peer.send(ack(final), uas.port);
    assert.equal(call.state, 'confirmed');
    call.hangup();
    await events.waitFor('disconnected');
    assert.equal((await sipp.done).code, 0);
  } finally {
    uas.account.removeAllListeners('replaceRequest');
    peer.close();
  }
});
