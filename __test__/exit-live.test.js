'use strict';

// Leaving with live SIP state. A child process with a confirmed call (to a
// SIPp UAS, uas_answer.xml) and a registration (to SIPp registrar_auth.xml,
// good credentials) ends within 3 s when it calls process.exit(0), or when
// its own SIGTERM handler calls sipster.shutdown() and exits: the call is
// hung up (BYE in the UAS's trace), the account unregistered (REGISTER with
// Expires: 0, answered 200, in the registrar's trace), exit code 0. And a
// SIGKILLed process leaves nothing that stops the next one from binding the
// same UDP and TCP port and answering there.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const { freePort } = require('../harness/ports');
const { startSipp, runSipp } = require('../harness/sipp');
const { parseMessages, header } = require('./helpers/sip-trace');
const { readJsonLines } = require('../harness/jsonlines');

const FIXTURE = path.join(__dirname, 'fixtures', 'exit-live.js');
const CRASH = /Assertion|Segmentation|terminate called|panicked|Aborted/;

// Starts the fixture; `on(event)` resolves with the first JSON line of that
// event, `exited` with { code, signal, at }.
function startChild(args) {
  const child = spawn(process.execPath, [FIXTURE, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  let stderr = '';
  readJsonLines(child.stdout, (msg) => {
    lines.push(msg);
    for (const w of waiters.slice()) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal, at: Date.now() });
      for (const w of waiters.slice()) w();
    });
  });
  let done = false;
  exited.then(() => (done = true));
  return {
    child,
    lines,
    exited,
    get stderr() {
      return stderr;
    },
    on(event, limitMs = 10000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no '${event}' within ${limitMs} ms: ${JSON.stringify(lines)} ${stderr}`)), limitMs);
        const check = () => {
          const msg = lines.find((l) => l.event === event);
          if (msg) finish(null, msg);
          else if (done) finish(new Error(`exited before '${event}': ${JSON.stringify(lines)} ${stderr}`));
        };
        function finish(err, msg) {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
          if (err) reject(err);
          else resolve(msg);
        }
        waiters.push(check);
        check();
      });
    },
  };
}

// A SIPp UAS and registrar for one child.
async function peers() {
  const uasPort = await freePort();
  const registrarPort = await freePort();
  const uas = await startSipp({ scenario: 'uas_answer.xml', localPort: uasPort, duration: 0, timeoutMs: 30000 });
  const registrar = await startSipp({ scenario: 'registrar_auth.xml', localPort: registrarPort, calls: 5, timeoutMs: 30000 });
  return { uas, registrar, uasPort, registrarPort };
}

// What the SIPp peers saw: the BYE of the call, the unregistration.
async function checkPeers(t, { uas, registrar }) {
  await new Promise((r) => setTimeout(r, 300));
  const uasMsgs = parseMessages((await uas.stop()).messages);
  const regMsgs = parseMessages((await registrar.stop()).messages);
  t.diagnostic(`UAS saw: ${uasMsgs.map((m) => `${m.direction === 'sent' ? '->' : '<-'} ${m.method || m.status}`).join(' ')}`);
  t.diagnostic(
    `registrar saw: ${regMsgs.map((m) => `${m.direction === 'sent' ? '->' : '<-'} ${m.method || m.status}${m.method ? ` Expires ${header(m, 'expires')}` : ''}`).join(' ')}`,
  );
  const bye = uasMsgs.find((m) => m.direction === 'received' && m.method === 'BYE');
  assert.ok(bye, 'the call was not hung up: no BYE at the UAS');
  assert.ok(uasMsgs.some((m) => m.direction === 'sent' && m.status === 200 && m.cseqMethod === 'BYE'));

  const registers = regMsgs.filter((m) => m.direction === 'received' && m.method === 'REGISTER');
  const unregisters = registers.filter((m) => header(m, 'expires') === '0' || /;\s*expires=0\b/.test(header(m, 'contact') ?? ''));
  assert.ok(registers.length > unregisters.length, 'the account never registered');
  assert.ok(unregisters.length > 0, 'no REGISTER with Expires: 0: the account was not unregistered');
  // The last unregistration (after the digest challenge) was accepted.
  const last = unregisters[unregisters.length - 1];
  const ok = regMsgs.find((m) => m.direction === 'sent' && m.status === 200 && m.cseqMethod === 'REGISTER' && m.cseq === last.cseq);
  assert.ok(ok, 'the unregistration was not answered 200 before the process ended');
}

// Runs the child in `mode` against fresh peers. `trigger(child)` waits for
// the call and registration, makes the child end, and returns when that was
// asked; the exit must be clean and within 3 s, `check(child)` adds the
// mode's own checks, and the peers must have seen the BYE and the
// unregistration.
async function expectCleanExit(t, mode, { asked, trigger, check }) {
  const p = await peers();
  const child = startChild({ mode, uasPort: p.uasPort, registrarPort: p.registrarPort });
  try {
    const askedAt = await trigger(child);
    const exit = await child.exited;
    const took = exit.at - askedAt;
    t.diagnostic(`exited ${took} ms after ${asked}`);
    assert.equal(exit.signal, null, child.stderr);
    assert.equal(exit.code, 0, child.stderr);
    assert.ok(took < 3000, `took ${took} ms to exit`);
    check(child);
    assert.doesNotMatch(child.stderr, CRASH);
    await checkPeers(t, p);
  } finally {
    child.child.kill('SIGKILL');
    await p.uas.stop();
    await p.registrar.stop();
  }
}

test('process.exit(0) with a live call and a registration: ends within 3 s, BYE sent, unregistered, exit code 0', async (t) => {
  await expectCleanExit(t, 'exit', {
    asked: 'process.exit(0)',
    trigger: async (child) => {
      const live = await child.on('live');
      assert.equal(live.callCount, 1);
      assert.equal(live.regIsActive, true);
      return (await child.on('exiting')).t;
    },
    check: (child) => assert.equal(child.lines.find((l) => l.event === 'exit')?.code, 0),
  });
});

test('a SIGTERM handler that calls sipster.shutdown() then exits: ends within 3 s, BYE sent, unregistered, exit code 0', async (t) => {
  await expectCleanExit(t, 'sigterm', {
    asked: 'SIGTERM',
    trigger: async (child) => {
      await child.on('live');
      const sentAt = Date.now();
      child.child.kill('SIGTERM');
      return sentAt;
    },
    check: (child) => {
      assert.ok(child.lines.some((l) => l.event === 'sigterm'), 'the SIGTERM handler did not run');
      assert.equal(child.lines.find((l) => l.event === 'shutdown-done')?.state, 'null');
    },
  });
});

// OPTIONS over UDP and TCP to 127.0.0.1:port, by SIPp.
async function optionsOk(port) {
  const udp = await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${port}`, localPort: await freePort(), timeoutMs: 15000 });
  const tcp = await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${port}`, localPort: await freePort(), extraArgs: ['-t', 't1'], timeoutMs: 15000 });
  return { udp: udp.code, tcp: tcp.code };
}

// An OPTIONS over a TCP connection we keep open: resolves with the socket
// once the 200 came back.
function openTcpWithOptions(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => reject(new Error('no 200 over TCP')), 5000);
    sock.on('error', reject);
    sock.on('connect', () => {
      const local = `127.0.0.1:${sock.localPort}`;
      sock.write(
        `OPTIONS sip:serve@127.0.0.1:${port};transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP ${local};branch=z9hG4bK-keep-${Date.now()}\r\n` +
          `From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:serve@127.0.0.1>\r\nCall-ID: keep-${Date.now()}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n` +
          `Max-Forwards: 70\r\nContact: <sip:probe@${local};transport=tcp>\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    sock.setEncoding('latin1').on('data', (d) => {
      data += d;
      if (/^SIP\/2\.0 200/.test(data)) {
        clearTimeout(timer);
        resolve(sock);
      }
    });
  });
}

test('a SIGKILLed process leaves nothing behind: the next one binds the same UDP and TCP port at once and answers', async (t) => {
  const port = await freePort();
  const first = startChild({ mode: 'serve', port });
  let second;
  let held;
  try {
    const ready = await first.on('ready');
    assert.equal(ready.udp, `127.0.0.1:${port}`);
    assert.equal(ready.tcp, `127.0.0.1:${port}`);
    assert.deepEqual(await optionsOk(port), { udp: 0, tcp: 0 }, 'the first process does not answer');
    // A TCP connection is open to it when it dies.
    held = await openTcpWithOptions(port);
    first.child.kill('SIGKILL');
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL');

    const startedAt = Date.now();
    second = startChild({ mode: 'serve', port });
    const again = await second.on('ready');
    t.diagnostic(`the second process was ready ${again.t - startedAt} ms after the first was killed`);
    assert.equal(again.udp, `127.0.0.1:${port}`);
    assert.equal(again.tcp, `127.0.0.1:${port}`);
    assert.deepEqual(await optionsOk(port), { udp: 0, tcp: 0 }, 'the second process does not answer on the same port');
    assert.equal(second.stderr, '');
  } finally {
    held?.destroy();
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
    if (second) await second.exited;
  }
});
