'use strict';

// Signalling on Node's own thread, the default (SIPSTER_SIGNALLING=loop is
// set here so that these tests run it whatever the environment says):
// pjsua runs no worker thread, libuv wakes Node when a UDP SIP socket is
// readable, and pjsip's timers follow a uv timer. Each test checks the wire
// (SIPp's trace, a raw UDP peer) as well as the threads of this process.

process.env.SIPSTER_SIGNALLING = 'loop';

const test = require('node:test');
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { parseMessages, parseSipMessage } = require('./helpers/sip-trace');
const { loopbackAccount } = require('./helpers/loopback');
const { waitUntil } = require('./helpers/events');
const { startPeer } = require('./helpers/peer');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
const { transport, account, port: sipPort } = loopbackAccount(sipster, { idUri: 'sip:uas@127.0.0.1' });
sipster.start();

test.after(() => {
  account.delete();
  transport.close();
  sipster.shutdown();
});

function threadNames() {
  const task = `/proc/${process.pid}/task`;
  return fs.readdirSync(task).map((tid) => {
    try {
      return fs.readFileSync(`${task}/${tid}/comm`, 'utf8').trim();
    } catch {
      return ''; // the thread ended meanwhile
    }
  });
}

test('pjsua runs no worker thread, and SIPp\'s calls are answered from the loop', { timeout: 30000 }, async () => {
  // pjlib names pjsua's worker threads pjsua_0, pjsua_1, ...
  assert.deepEqual(threadNames().filter((n) => /^pjsua_/.test(n)), [], 'a pjsua worker thread is running');
  let answered = 0;
  const onCall = (info, call) => {
    call.answer(200);
    answered++;
  };
  account.on('call', onCall);
  try {
    const result = await runSipp({
      scenario: 'uac_call.xml',
      remote: `127.0.0.1:${sipPort}`,
      localPort: await freePort(),
      calls: 10,
      rate: 20,
      duration: 100,
      timeoutMs: 20000,
    });
    assert.equal(result.code, 0, result.stderr);
    const oks = parseMessages(result.messages).filter((m) => m.direction === 'received' && m.status === 200 && m.cseqMethod === 'INVITE');
    assert.equal(new Set(oks.map((m) => m.headers['call-id'][0])).size, 10, 'SIPp got a 200 to each of its 10 INVITEs');
    assert.equal(answered, 10);
  } finally {
    account.off('call', onCall);
  }
});

// Which signalling a process gets: Node's thread by default; pjsua's worker
// thread with SIPSTER_SIGNALLING=threads, or when uaConfig.threadCnt asks
// for more than one. Each case in a child process of its own.
test('signalling runs on Node\'s thread by default; SIPSTER_SIGNALLING=threads or uaConfig.threadCnt > 1 keep pjsua\'s worker threads', { timeout: 20000 }, () => {
  const script = `
    const fs = require('node:fs');
    const sipster = require(${JSON.stringify(require.resolve('..'))});
    const threadCnt = Number(process.argv[1]) || undefined;
    sipster.init({ logConfig: { level: 0, consoleLevel: 0 }, uaConfig: threadCnt ? { threadCnt } : {} }, { handleSignals: false });
    sipster.start();
    // A new thread names itself once it runs: read the names a little later.
    setTimeout(() => {
      const task = '/proc/self/task';
      const names = fs.readdirSync(task).map((tid) => fs.readFileSync(task + '/' + tid + '/comm', 'utf8').trim());
      console.log(JSON.stringify(names.filter((n) => /^pjsua_/.test(n)).sort()));
      sipster.shutdown();
    }, 300);`;
  const workers = (signalling, threadCnt) => {
    const env = { ...process.env };
    if (signalling === undefined) delete env.SIPSTER_SIGNALLING;
    else env.SIPSTER_SIGNALLING = signalling;
    const out = execFileSync(process.execPath, ['-e', script, String(threadCnt ?? '')], { env, encoding: 'utf8', timeout: 15000 });
    return JSON.parse(out.trim().split('\n').pop());
  };
  assert.deepEqual(workers(undefined), [], 'the default');
  assert.deepEqual(workers('loop'), []);
  assert.deepEqual(workers(undefined, 1), [], 'uaConfig.threadCnt 1');
  assert.deepEqual(workers('threads'), ['pjsua_0']);
  assert.deepEqual(workers(undefined, 2), ['pjsua_0', 'pjsua_1'], 'uaConfig.threadCnt 2');
});

// A peer that never answers: pjsip's retransmission timer (Timer A: 500 ms,
// then doubling) runs only if the loop wakes for pjsip's timer heap.
test('pjsip\'s timers run: an unanswered INVITE is retransmitted on time, and a 486 ends the call', { timeout: 20000 }, async () => {
  const peer = dgram.createSocket('udp4');
  await new Promise((resolve) => peer.bind(0, '127.0.0.1', resolve));
  const invites = [];
  peer.on('message', (buf, rinfo) => {
    const msg = parseSipMessage(buf.toString('latin1'));
    if (msg.method === 'INVITE') invites.push({ at: Date.now(), msg, rinfo });
  });
  try {
    const call = account.makeCall(`sip:nobody@127.0.0.1:${peer.address().port}`);
    const ended = new Promise((resolve) => call.once('disconnected', () => resolve(call.getInfo())));
    await waitUntil(() => invites.length >= 3, 5000, 'three INVITE transmissions');
    const [first, second, third] = invites.map((i) => i.at);
    assert.ok(second - first >= 400 && second - first <= 750, `first retransmission after ${second - first} ms (T1 = 500)`);
    assert.ok(third - second >= 850 && third - second <= 1300, `second retransmission after ${third - second} ms (2 x T1)`);
    assert.equal(new Set(invites.map((i) => i.msg.headers['call-id'][0])).size, 1);

    const { msg, rinfo } = invites[0];
    const h = (name) => msg.headers[name].map((v) => `${name}: ${v}`).join('\r\n');
    const busy = [
      'SIP/2.0 486 Busy Here',
      h('via'),
      h('from'),
      `to: ${msg.headers.to[0]};tag=loop-test`,
      h('call-id'),
      h('cseq'),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    peer.send(busy, rinfo.port, rinfo.address);
    const info = await ended;
    assert.equal(info.lastStatusCode, 486);
  } finally {
    peer.close();
  }
});

test('a TCP transport starts a worker thread for what libuv cannot see; OPTIONS over TCP is answered', { timeout: 20000 }, async () => {
  assert.ok(!threadNames().includes('sipster-signal'), 'the worker runs before it is needed');
  const port = await freePort();
  const tcp = new sipster.Transport({ port, boundAddress: '127.0.0.1' }, 'tcp');
  try {
    // The thread names itself once it runs.
    await waitUntil(() => threadNames().includes('sipster-signal'), 2000, `a sipster-signal thread among ${threadNames().join(', ')}`);
    const result = await runSipp({
      scenario: 'options.xml',
      remote: `127.0.0.1:${port}`,
      localPort: await freePort(),
      extraArgs: ['-t', 't1'],
      timeoutMs: 15000,
    });
    assert.equal(result.code, 0, 'SIPp expected a 200 to its OPTIONS over TCP');
    const replies = parseMessages(result.messages).filter((m) => m.direction === 'received');
    assert.equal(replies[0].status, 200);
  } finally {
    tcp.close();
  }
});

// The poll and its handlers run from libuv's own callback, inside the N-API
// scopes Node's callbacks have: the microtasks a handler queues run as soon
// as it returns, before any other callback of the loop (without a callback
// scope they would wait for the next callback that has one: the immediate).
test("a handler's microtasks run as soon as the poll's callback ends, before the next immediate", { timeout: 20000 }, async () => {
  const order = [];
  const onCall = (info, call) => {
    queueMicrotask(() => order.push('microtask'));
    setImmediate(() => order.push('immediate'));
    Promise.resolve().then(() => call.answer(200));
  };
  account.once('call', onCall);
  const result = await runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${sipPort}`, localPort: await freePort(), duration: 100, timeoutMs: 15000 });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(order, ['microtask', 'immediate']);
});

// A sipster UAS in a peer process (run there by peer.run: it inherits
// SIPSTER_SIGNALLING=loop); returns its SIP port. The test then puts its
// 'call' handler on `state.account`.
function startUas({ sipster, state }) {
  sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
  state.transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
  state.account = new sipster.Account({ idUri: 'sip:uas@127.0.0.1', mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } } });
  sipster.start();
  return Number(state.transport.getInfo().localAddress.split(':').pop());
}

// answer() inside the handler raises 'connecting' (and the call's audio)
// on this thread: delivered in the same callback of libuv, right after what
// the poll raised before it ('incoming'), not a loop turn later. In a peer
// process: once a TCP transport exists (a test above), a worker thread may
// poll pjsip too, and its events come through the queue.
test("events that a handler raises are delivered in the same callback, before the handler's immediate", { timeout: 20000 }, async () => {
  const peer = await startPeer();
  try {
    const port = await peer.run(startUas);
    await peer.run(({ state, emit }) => {
      state.account.on('call', (info, call) => {
        call.on('state', (callState) => emit('order', callState));
        setImmediate(() => emit('order', 'immediate'));
        call.answer(200);
      });
    });
    const result = await runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${port}`, localPort: await freePort(), duration: 100, timeoutMs: 15000 });
    assert.equal(result.code, 0, result.stderr);
    await waitUntil(() => peer.events.some((e) => e.data === 'disconnected'), 5000);
    const order = peer.events.filter((e) => e.name === 'order').map((e) => e.data);
    assert.deepEqual(order, ['incoming', 'connecting', 'immediate', 'confirmed', 'disconnected']);
  } finally {
    await peer.stop();
  }
});

// A handler that throws: Node reports the exception as uncaught, as for any
// callback, and the call's later events still come. In a peer process (it
// inherits SIPSTER_SIGNALLING=loop), so that the test runner's own
// uncaughtException handling stays out of it.
test('an exception thrown by a handler is reported as uncaught; the events after it still arrive', { timeout: 20000 }, async () => {
  const peer = await startPeer();
  try {
    const port = await peer.run(startUas);
    await peer.run(({ state, emit }) => {
      process.on('uncaughtException', (err) => emit('uncaught', err.message));
      state.account.on('call', (info, call) => {
        call.on('state', (callState) => emit('state', callState));
        call.on('disconnected', () => emit('disconnected', call.state));
        call.answer(200);
        throw new Error('thrown by the call handler');
      });
    });
    const result = await runSipp({ scenario: 'uac_call.xml', remote: `127.0.0.1:${port}`, localPort: await freePort(), duration: 100, timeoutMs: 15000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await peer.waitFor('uncaught'), 'thrown by the call handler');
    assert.equal(await peer.waitFor('disconnected'), 'disconnected');
    // 'incoming' was raised in the same poll as the call, after it.
    const states = peer.events.filter((e) => e.name === 'state').map((e) => e.data);
    assert.deepEqual(states, ['incoming', 'connecting', 'confirmed', 'disconnected']);
  } finally {
    await peer.stop();
  }
});

// With loop signalling the 'call' handler runs after pjsip's poll, never
// inside its callback: a handler that shuts the library down or ends the
// process leaves pjsua whole, and the call gets its BYE (delivered inside
// onIncomingCall, shutdown() aborted in pjsip and exit() sent no BYE).
for (const ending of ['shutdown', 'exit']) {
  test(`a 'call' handler that answers and then calls ${ending === 'exit' ? 'process.exit(0)' : 'sipster.shutdown()'}: the caller gets a BYE, the process ${ending === 'exit' ? 'exits with 0' : 'goes on'}`, { timeout: 30000 }, async () => {
    const peer = await startPeer();
    try {
      const port = await peer.run(startUas);
      await peer.run(({ sipster, state, emit }, how) => {
        state.account.on('call', (info, call) => {
          call.answer(200);
          if (how === 'exit') process.exit(0);
          sipster.shutdown();
          emit('shut down', true);
        });
      }, ending);
      const result = await runSipp({ scenario: 'uac_call_wait_bye.xml', remote: `127.0.0.1:${port}`, localPort: await freePort(), timeoutMs: 20000 });
      const byes = parseMessages(result.messages).filter((m) => m.direction === 'received' && m.method === 'BYE');
      // (pjsua may retransmit it while it is being destroyed)
      assert.ok(byes.length >= 1, `SIPp got no BYE: ${result.stderr}`);
      assert.equal(result.code, 0, result.stderr);
      if (ending === 'exit') {
        await waitUntil(() => peer.exited, 5000);
        assert.deepEqual([peer.exited.code, peer.exited.signal], [0, null], peer.stderr);
      } else {
        assert.equal(await peer.waitFor('shut down'), true);
        assert.equal(peer.exited, null, peer.stderr);
      }
    } finally {
      await peer.stop();
    }
  });
}
