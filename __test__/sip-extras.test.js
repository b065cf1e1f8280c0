'use strict';

// SIP beyond the seed, part one (issue 10): DTMF as SIP INFO, codec
// priorities, final statistics, hangup() defaults and reasons, and errors
// that say what is wrong. Each is checked on the wire with SIPp.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startSipp, runSipp } = require('../harness/sipp');
const { parseMessages, findMessages } = require('./helpers/sip-trace');
const { record, waitUntil, CALL_EVENTS } = require('./helpers/events');
const { loopbackAccount } = require('./helpers/loopback');
const { VALUE } = require('./helpers/errors');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });

let transport;
let account;
let sipPort;

before(async () => {
  ({ transport, account, port: sipPort } = loopbackAccount(sipster, { idUri: 'sip:extras@127.0.0.1', port: await freePort() }));
  sipster.start();
});

after(() => {
  account.delete();
  transport.close();
  sipster.shutdown();
});

// Places a call to a SIPp UAS running `scenario`.
async function callSipp(scenario, opts = {}) {
  const port = await freePort();
  const sipp = await startSipp({ scenario, localPort: port, timeoutMs: 20000, duration: 0, ...opts });
  const call = account.makeCall(`sip:callee@127.0.0.1:${port}`);
  return { call, events: record(call, CALL_EVENTS), sipp };
}

const received = async (sipp) => {
  const result = await sipp.done;
  assert.equal(result.code, 0, result.errors);
  return parseMessages(result.messages).filter((m) => m.direction === 'received');
};

// ---- MESSAGE -------------------------------------------------------------------

test("account.on('message') receives an out-of-dialog MESSAGE, which SIPp sees answered 200", { timeout: 30000 }, async () => {
  const got = new Promise((resolve) => account.once('message', resolve));
  const result = await runSipp({ scenario: 'uac_message.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), service: 'extras', timeoutMs: 15000 });
  assert.equal(result.code, 0, result.errors);
  const msg = await got;
  assert.equal(msg.contentType, 'text/plain');
  assert.match(msg.body, /^hello from sipp/);
  assert.match(msg.from, /^sipp <sip:sipp@127\.0\.0\.1:\d+>;tag=/);
  assert.match(msg.to, /^<sip:extras@127\.0\.0\.1:\d+>/);
  assert.equal(msg.headers['x-msg-id'], msg.headers['call-id']);
  assert.match(msg.wholeMsg, /^MESSAGE sip:extras@/);
});

test('account.sendMessage() settles with the final response: 200, and 404; a bad URI rejects', { timeout: 30000 }, async () => {
  for (const [replace, statusCode, reason] of [[{}, 200, 'OK'], [{ '200 OK': '404 Not Found' }, 404, 'Not Found']]) {
    const port = await freePort();
    const sipp = await startSipp({ scenario: 'uas_message.xml', localPort: port, replace, timeoutMs: 15000 });
    const result = await account.sendMessage(`sip:bob@127.0.0.1:${port}`, 'hi bob', {
      contentType: 'text/x-test',
      headers: { 'X-Trace': 'm1' },
    });
    assert.deepEqual(result, { statusCode, reason });
    const [message] = findMessages(await received(sipp), { method: 'MESSAGE' });
    assert.equal(message.headers['content-type'][0], 'text/x-test');
    assert.equal(message.headers['x-trace'][0], 'm1');
    assert.equal(message.body.trim(), 'hi bob');
  }
  await assert.rejects(account.sendMessage('not a uri', 'x'), { message: /^Account\.sendMessage: 'not a uri' is not a valid SIP URI/ });
  await assert.rejects(account.sendMessage('sip:a@127.0.0.1', 'x', { contentType: 'a\nb' }), VALUE(/contentType must be a MIME type/));
  await assert.rejects(account.sendMessage('sip:a@127.0.0.1', 5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test("a MESSAGE nobody answers settles with pjsip's own 408 (after Timer F, 32 s)", { timeout: 60000 }, async () => {
  const blackHole = dgram.createSocket('udp4');
  await new Promise((resolve) => blackHole.bind(0, '127.0.0.1', resolve));
  let copies = 0;
  blackHole.on('message', () => copies++);
  try {
    const result = await account.sendMessage(`sip:void@127.0.0.1:${blackHole.address().port}`, 'anyone?');
    assert.equal(result.statusCode, 408);
    assert.ok(copies >= 2, `the MESSAGE was retransmitted (${copies} copies)`);
  } finally {
    blackHole.close();
  }
});

// ---- incoming headers ----------------------------------------------------------

test("the 'call' info has the INVITE's headers (repeated ones joined, compact forms expanded) and wholeMsg", { timeout: 30000 }, async () => {
  let seen;
  const onCall = (info, call) => {
    seen = { headers: info.headers, wholeMsg: info.wholeMsg, keys: Object.keys(info) };
    call.answer(200);
  };
  account.on('call', onCall);
  try {
    const result = await runSipp({
      scenario: 'uac_call.xml',
      remote: `127.0.0.1:${sipPort}`,
      localPort: await freePort(),
      duration: 200,
      timeoutMs: 20000,
      replace: {
        'User-Agent: SIPp uac_call.xml': [
          'User-Agent: SIPp uac_call.xml',
          'X-Foo: one',
          'X-Account-Id: 42',
          'x-foo: two, three',
          's: A compact subject',
        ].join('\n      '),
      },
    });
    assert.equal(result.code, 0, result.errors);
  } finally {
    account.off('call', onCall);
  }
  assert.ok(seen, 'no call event');
  assert.equal(seen.headers['x-foo'], 'one, two, three');
  assert.equal(seen.headers['x-account-id'], '42');
  assert.equal(seen.headers.subject, 'A compact subject');
  assert.equal(seen.headers['user-agent'], 'SIPp uac_call.xml');
  assert.match(seen.headers['call-id'], /\S/);
  assert.equal(seen.headers['content-type'], 'application/sdp');
  assert.match(seen.wholeMsg, /^INVITE sip:\S+ SIP\/2\.0\r\n/);
  assert.match(seen.wholeMsg, /\r\n\r\nv=0\r\n/, 'the body is in');
  assert.ok(seen.keys.includes('headers') && seen.keys.includes('wholeMsg'));
});

test('parseHeaders joins folded lines and ignores the body', () => {
  const { parseHeaders } = require('../lib/sip-message');
  const msg = ['MESSAGE sip:a@b SIP/2.0', 'X-Folded: first', ' second', '\tthird', 'l: 5', 'i: abc', '', 'X-Not: a header'].join('\r\n');
  assert.deepEqual(parseHeaders(msg), { 'x-folded': 'first second third', 'content-length': '5', 'call-id': 'abc' });
});

// ---- DTMF ----------------------------------------------------------------------

test("dtmf(digits, { method: 'info' }) sends one application/dtmf-relay INFO per digit", { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer.xml');
  await events.waitFor('confirmed');
  call.dtmf('12#', { method: 'info', duration: 120 });
  await new Promise((resolve) => setTimeout(resolve, 800));
  call.hangup();
  await events.waitFor('disconnected');
  const infos = findMessages(await received(sipp), { method: 'INFO' });
  assert.equal(infos.length, 3, 'one INFO per digit');
  assert.deepEqual(infos.map((m) => m.headers['content-type'][0]), Array(3).fill('application/dtmf-relay'));
  assert.deepEqual(infos.map((m) => /Signal=(.)/.exec(m.body)?.[1]), ['1', '2', '#']);
  assert.deepEqual(infos.map((m) => /Duration=(\d+)/.exec(m.body)?.[1]), ['120', '120', '120']);
});

test('dtmf() refuses a bad method and says in words why it cannot send before the media is up', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_ring_noanswer.xml');
  await events.waitFor('early');
  assert.throws(() => call.dtmf('1', { method: 'sms' }), VALUE(/options\.method must be 'rfc2833' or 'info'/));
  assert.throws(() => call.dtmf('1', { duration: 0 }), VALUE(/options\.duration must be a positive/));
  assert.throws(() => call.dtmf('1'), (err) => {
    assert.equal(err.status, sipster.PJ_EINVALIDOP);
    assert.match(err.message, /^Call\.dtmf: the call has no active audio yet/);
    return true;
  });
  call.hangup();
  await events.waitFor('disconnected');
  await sipp.done;
});

// ---- INFO --------------------------------------------------------------------------

test("call.on('info') gets an INFO that is not DTMF, answered 200 (not pjsip's 500)", { timeout: 30000 }, async () => {
  let info;
  const onCall = (callInfo, call) => {
    call.on('info', (i) => (info = i));
    call.answer(200);
  };
  account.on('call', onCall);
  try {
    const result = await runSipp({
      scenario: 'uac_call_hold.xml',
      remote: `127.0.0.1:${sipPort}`,
      localPort: await freePort(),
      duration: 200,
      timeoutMs: 20000,
      replace: {
        'Content-Type: application/dtmf-relay': 'Content-Type: application/json\n      X-Info-Id: 7',
        'Signal=5': '{"event":"ping"}',
        'Duration=160': '',
      },
    });
    assert.equal(result.code, 0, `SIPp expected a 200 to its INFO\n${result.errors}`);
    const [okInfo] = findMessages(parseMessages(result.messages), { direction: 'received', cseqMethod: 'INFO' });
    assert.equal(okInfo.status, 200);
  } finally {
    account.off('call', onCall);
  }
  assert.ok(info, 'no info event');
  assert.equal(info.contentType, 'application/json');
  assert.equal(info.body.trim(), '{"event":"ping"}');
  assert.equal(info.headers['x-info-id'], '7');
});

test('call.sendInfo() sends an INFO in the dialog and settles with the final response', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer.xml');
  await events.waitFor('confirmed');
  const result = await call.sendInfo({ contentType: 'application/json', body: '{"x":1}', headers: { 'X-Info-Trace': 'i1' } });
  assert.deepEqual(result, { statusCode: 200, reason: 'OK' });
  await assert.rejects(call.sendInfo({ body: 'x' }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(call.sendInfo({ contentType: 'a\r\nb' }), VALUE(/contentType must be a MIME type/));
  call.hangup();
  await events.waitFor('disconnected');
  const [info] = findMessages(await received(sipp), { method: 'INFO' });
  assert.equal(info.headers['content-type'][0], 'application/json');
  assert.equal(info.headers['x-info-trace'][0], 'i1');
  assert.equal(info.body.trim(), '{"x":1}');
  await assert.rejects(call.sendInfo({ contentType: 'text/plain' }), { code: 'ERR_SIPSTER_STATE' });
});

// ---- attended transfer -----------------------------------------------------------

test('transfer(otherCall) sends a REFER whose Refer-To replaces the other call (Call-ID, to-tag, from-tag)', { timeout: 30000 }, async () => {
  const a = await callSipp('uas_answer.xml');
  const b = await callSipp('uas_answer.xml');
  await Promise.all([a.events.waitFor('confirmed'), b.events.waitFor('confirmed')]);
  const bInfo = b.call.getInfo();
  a.call.transfer(b.call);
  const [code, , isFinal] = await a.events.waitFor('transferStatus', (c, r, fin) => fin);
  assert.equal(isFinal, true);
  assert.equal(code, 200, 'SIPp reports the transfer done');
  assert.throws(() => a.call.transfer(a.call), /cannot replace itself/);
  a.call.hangup();
  b.call.hangup();
  await Promise.all([a.events.waitFor('disconnected'), b.events.waitFor('disconnected')]);
  const [refer] = findMessages(await received(a.sipp), { method: 'REFER' });
  const bMessages = await received(b.sipp);
  const referTo = decodeURIComponent(refer.headers['refer-to'][0]);
  const [bInvite] = findMessages(bMessages, { method: 'INVITE' });
  const ourTag = /;tag=([^;>\s]+)/.exec(bInvite.headers.from[0])[1];
  assert.match(referTo, /^<?sip:callee@127\.0\.0\.1:\d+\?(.*&)?Replaces=/, referTo);
  assert.ok(referTo.includes(`Replaces=${bInfo.callId}`), `Refer-To: ${referTo}`);
  assert.ok(referTo.includes(`from-tag=${ourTag}`), `Refer-To: ${referTo}`);
  assert.match(referTo, /to-tag=\d+SIPpTag01/, `Refer-To: ${referTo}`);
});

// ---- hangup() and answer() -----------------------------------------------------

test('hangup() without a code: CANCEL for an outgoing call that rings, reported as 487', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_ring_noanswer.xml', { duration: 1000 });
  await events.waitFor('early');
  call.hangup();
  const [info] = await events.waitFor('disconnected');
  assert.equal(info.lastStatusCode, 487);
  assert.equal(findMessages(await received(sipp), { method: 'CANCEL' }).length, 1);
});

test('hangup() without a code on a confirmed call sends BYE and does not report 603; a custom reason is kept', { timeout: 30000 }, async () => {
  const plain = await callSipp('uas_answer.xml');
  await plain.events.waitFor('confirmed');
  plain.call.hangup();
  const [info] = await plain.events.waitFor('disconnected');
  assert.notEqual(info.lastStatusCode, 603);
  assert.equal(findMessages(await received(plain.sipp), { method: 'BYE' }).length, 1);

  const reasoned = await callSipp('uas_answer.xml');
  await reasoned.events.waitFor('confirmed');
  reasoned.call.hangup(undefined, 'Caller went away');
  const [end] = await reasoned.events.waitFor('disconnected');
  assert.equal(end.lastReason, 'Caller went away');
  assert.equal(findMessages(await received(reasoned.sipp), { method: 'BYE' }).length, 1);
});

test('an incoming call: hangup() while ringing answers 603; answer() twice says so in words', { timeout: 30000 }, async () => {
  const calls = [];
  const onCall = (info, call) => calls.push(call);
  account.on('call', onCall);
  try {
    const ringing = runSipp({ scenario: 'uac_call_reject.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), timeoutMs: 20000 });
    await waitUntil(() => calls.length === 1, 10000, 'the first call');
    calls[0].answer(180);
    calls[0].hangup();
    const result = await ringing;
    const finals = parseMessages(result.messages).filter((m) => m.direction === 'received' && m.status >= 300);
    assert.equal(finals[0]?.status, 603, result.errors);

    const answered = runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), duration: 500, timeoutMs: 20000 });
    await waitUntil(() => calls.length === 2, 10000, 'the second call');
    calls[1].answer(200);
    assert.throws(() => calls[1].answer(200), (err) => {
      assert.equal(err.status, sipster.PJ_EINVALIDOP);
      assert.match(err.message, /^Call\.answer: the call is already answered/);
      return true;
    });
    assert.equal((await answered).code, 0);
  } finally {
    account.off('call', onCall);
  }
});

// ---- codecs ----------------------------------------------------------------------

test('codecs lists ids and priorities; with PCMU disabled and PCMA first the answer to 0 8 101 carries 8 and no 0', { timeout: 30000 }, async () => {
  const before = sipster.codecs;
  assert.ok(before.length > 2);
  for (const c of before) {
    assert.match(c.id, /^[\w.-]+\/\d+\/\d+$/);
    assert.ok(Number.isInteger(c.priority) && c.priority >= 0 && c.priority <= 255);
  }
  const priorities = before.map((c) => c.priority);
  assert.deepEqual(priorities, [...priorities].sort((a, b) => b - a), 'best first');
  assert.throws(() => sipster.setCodecPriority('PCMA', 256), VALUE(/priority must be 0 to 255/));
  assert.throws(() => sipster.setCodecPriority('NOPE', 10), /no codec id starts with 'NOPE'/);
  const saved = new Map(before.map((c) => [c.id, c.priority]));
  const answered = [];
  const onCall = (info, call) => {
    call.answer(200);
    answered.push(call);
  };
  account.on('call', onCall);
  try {
    sipster.setCodecPriority('PCMU', 0);
    sipster.setCodecPriority('PCMA/8000', 255);
    const now = sipster.codecs;
    assert.equal(now[0].id, 'PCMA/8000/1');
    assert.equal(now.find((c) => c.id === 'PCMU/8000/1').priority, 0);

    const result = await runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), duration: 300, timeoutMs: 20000 });
    assert.equal(result.code, 0, result.errors);
    const [ok] = parseMessages(result.messages).filter((m) => m.direction === 'received' && m.status === 200 && m.cseqMethod === 'INVITE');
    const mline = /^m=audio \d+ RTP\/AVP ([\d ]+)$/m.exec(ok.body)[1].trim().split(' ');
    assert.equal(mline[0], '8', `answer: m=audio ... ${mline.join(' ')}`);
    assert.ok(!mline.includes('0'), `PCMU is disabled but answered: ${mline.join(' ')}`);
  } finally {
    account.off('call', onCall);
    for (const [id, priority] of saved) sipster.setCodecPriority(id, priority);
  }
  const byId = (list) => [...list].sort((a, b) => a.id.localeCompare(b.id));
  assert.deepEqual(byId(sipster.codecs), byId(before), 'priorities restored');
});

// ---- final statistics ------------------------------------------------------------

test('getStatsDump() after disconnected returns the statistics captured at the end; other methods still throw', { timeout: 30000 }, async () => {
  const { call, events, sipp } = await callSipp('uas_answer.xml');
  await events.waitFor('confirmed');
  const live = call.getStatsDump();
  assert.match(live, /Call time:/);
  call.hangup();
  await events.waitFor('disconnected');
  await sipp.done;
  const final = call.getStatsDump();
  assert.match(final, /^  \S/, 'default indent of two spaces');
  assert.match(final, /Call time:/);
  assert.match(final, /#0 audio/, 'media statistics are in');
  const noMedia = call.getStatsDump(false, '> ');
  assert.ok(noMedia.split('\n').filter(Boolean).every((l) => l.startsWith('> ')), noMedia);
  assert.doesNotMatch(noMedia, /#0 audio/);
  assert.match(noMedia, /Call time:/);
  assert.ok(call.getStatsDump(true, '> ').startsWith(noMedia), 'the same lines, then the media');
  assert.throws(() => call.hold(), { code: 'ERR_SIPSTER_STATE' });
});

// ---- files -------------------------------------------------------------------------

test('createPlayer and createPlaylist name the file they cannot read; recorder formats ignore case', () => {
  const missing = path.join(os.tmpdir(), `sipster-missing-${process.pid}.wav`);
  assert.throws(() => sipster.createPlayer(missing), (err) => {
    assert.equal(err.message, `createPlayer: cannot read '${missing}': No such file or directory (os error 2)`);
    assert.equal(err.status, sipster.PJ_ERRNO_START_SYS + 2);
    return true;
  });
  assert.throws(() => sipster.createPlaylist([__filename, missing]), { message: new RegExp(`^createPlaylist: cannot read '${missing}'`) });
  const notWav = path.join(os.tmpdir(), `sipster-not-wav-${process.pid}.wav`);
  fs.writeFileSync(notWav, 'not a wav file at all, just text');
  try {
    assert.throws(() => sipster.createPlayer(notWav), { message: new RegExp(`^createPlayer: '${notWav}': `) });
  } finally {
    fs.rmSync(notWav, { force: true });
  }
  const file = path.join(os.tmpdir(), `sipster-case-${process.pid}.wav`);
  try {
    for (const format of ['ULAW', 'Alaw', 'PCM']) sipster.createRecorder(file, format).close();
  } finally {
    fs.rmSync(file, { force: true });
  }
});

// ---- the console log -------------------------------------------------------------

test('pjsip\'s console log is quiet by default and logConfig raises it', { timeout: 30000 }, async () => {
  const script = (logConfig) => `
    const sipster = require(${JSON.stringify(path.join(__dirname, '..'))});
    sipster.init(${logConfig ? `{ logConfig: ${JSON.stringify(logConfig)} }` : ''});
    const t = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
    const a = new sipster.Account({ idUri: 'sip:quiet@127.0.0.1' });
    sipster.start();
    const c = a.makeCall('sip:nobody@' + t.getInfo().localAddress);
    setTimeout(() => { c.hangup(); setTimeout(() => process.exit(0), 200); }, 300);
  `;
  const run = (logConfig) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script(logConfig)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const limit = setTimeout(() => child.kill('SIGKILL'), 15000);
      child.on('close', (code) => {
        clearTimeout(limit);
        if (code !== 0) reject(new Error(`exit ${code}: ${out}`));
        else resolve(out);
      });
    });
  const quiet = await run(null);
  assert.doesNotMatch(quiet, /INVITE sip:/, 'SIP messages printed by default');
  assert.ok(quiet.split('\n').filter(Boolean).length < 5, `default output:\n${quiet}`);
  const loud = await run({ level: 5, consoleLevel: 5 });
  assert.match(loud, /INVITE sip:nobody@/, 'logConfig does not raise the console log');
});
