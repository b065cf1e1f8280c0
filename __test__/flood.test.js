'use strict';

// An INVITE flood: SIPp sends 2000 calls at up to 500 calls/s, at most 10
// at once, to a sipster UAS (a child process) that answers every call 200
// from JS. That is more than the call limit (sipster.maxCalls, 4 in a stock
// pjproject build) and faster than the media ioqueue recycles its sockets
// (~60 calls/s with the stock 64 handles): the excess must be refused
// cleanly (486, or 503 with Retry-After from the admission guard), every
// INVITE must get a final response, the UAS must not crash, and it must
// answer normally afterwards. (`admissionGuard: false` is left out: pjlib
// then aborts the process, as the README documents.)

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

const { freePort, freeRtpPort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { parseMessages, header } = require('./helpers/sip-trace');
const { readJsonLines } = require('../harness/jsonlines');

const FIXTURE = path.join(__dirname, 'fixtures', 'uas.js');
const CALLS = 2000;
const RATE = 500;
const LIMIT = 10; // concurrent calls SIPp keeps open (-l)

// The UAS child: resolves once it listens, with its JSON-lines output.
async function startUas(args) {
  const child = spawn(process.execPath, [FIXTURE, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const uas = { child, lines: [], stderr: '', exit: null };
  readJsonLines(child.stdout, (msg) => uas.lines.push(msg));
  child.stderr.setEncoding('utf8').on('data', (d) => (uas.stderr += d));
  uas.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      uas.exit = { code, signal };
      resolve(uas.exit);
    });
  });
  const end = Date.now() + 10000;
  while (!uas.lines.some((l) => l.event === 'ready' || l.event === 'error')) {
    if (uas.exit || Date.now() > end) throw new Error(`the UAS did not start: ${uas.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ready = uas.lines.find((l) => l.event === 'ready');
  if (!ready) throw new Error(`the UAS failed: ${JSON.stringify(uas.lines)}`);
  uas.ready = ready;
  return uas;
}

// SIPp's final "Call Rate" (cumulative column), in calls/s.
function callRate(stdout) {
  let rate = null;
  for (const m of stdout.matchAll(/Call Rate\s*\|[^|]*\|\s*([\d.]+) cps/g)) rate = Number(m[1]);
  return rate;
}

test(`INVITE flood (${CALLS} calls at ${RATE}/s, ${LIMIT} at once): every INVITE gets a final answer, the excess is refused cleanly, no crash`, { timeout: 180000 }, async (t) => {
  const port = await freePort();
  // The stock build's limit, whatever pjproject allows: the flood must exceed it.
  const uas = await startUas({ port, maxCalls: 4 });
  try {
    const maxCalls = uas.ready.maxCalls;
    assert.ok(maxCalls >= 1 && maxCalls < LIMIT, `maxCalls ${maxCalls}: the flood must exceed it`);

    const started = Date.now();
    const flood = await runSipp({
      scenario: 'uac_flood.xml',
      remote: `127.0.0.1:${port}`,
      localPort: await freePort(),
      mediaPort: await freeRtpPort(),
      calls: CALLS,
      rate: RATE,
      duration: 0,
      extraArgs: ['-l', String(LIMIT)],
      timeoutMs: 120000,
    });
    const elapsed = Date.now() - started;
    const msgs = parseMessages(flood.messages);

    // Every INVITE SIPp sent, by Call-ID, and the final response to it.
    const invites = new Set(
      msgs.filter((m) => m.direction === 'sent' && m.method === 'INVITE').map((m) => header(m, 'call-id')),
    );
    const finalByCall = new Map();
    for (const m of msgs) {
      if (m.direction === 'received' && m.cseqMethod === 'INVITE' && m.status >= 200) {
        finalByCall.set(header(m, 'call-id'), m);
      }
    }
    const counts = {};
    for (const m of finalByCall.values()) counts[m.status] = (counts[m.status] || 0) + 1;
    const rate = callRate(flood.stdout);
    const byes = msgs.filter((m) => m.direction === 'received' && m.status === 200 && m.cseqMethod === 'BYE').length;
    t.diagnostic(
      `${invites.size} INVITEs in ${elapsed} ms (SIPp: ${rate} calls/s); final responses: ${JSON.stringify(counts)}; ` +
        `BYEs answered: ${byes}; SIPp successful ${flood.stats.successful} failed ${flood.stats.failed}`,
    );

    assert.equal(invites.size, CALLS, 'SIPp did not send every INVITE');
    assert.ok(rate >= 200, `SIPp reached only ${rate} calls/s: not a flood`);
    const unanswered = [...invites].filter((id) => !finalByCall.has(id));
    assert.deepEqual(unanswered.slice(0, 5), [], `${unanswered.length} INVITEs got no final response`);
    const unexpected = Object.keys(counts).filter((code) => !['200', '486', '503'].includes(code));
    assert.deepEqual(unexpected, [], `unexpected final responses: ${JSON.stringify(counts)}`);
    assert.ok(counts[200] > 0, 'no call was answered during the flood');
    assert.ok((counts[486] || 0) + (counts[503] || 0) > 0, 'nothing was refused: the flood did not exceed the limits');
    for (const m of finalByCall.values()) {
      if (m.status === 503) assert.match(header(m, 'retry-after') ?? '', /^\d+/, '503 without Retry-After');
    }
    // Each answered call was a whole call: ACKed, BYE answered.
    assert.equal(byes, counts[200], 'not every answered call ended with a 200 to its BYE');
    assert.equal(flood.code, 0, `SIPp counted failed calls: ${flood.stats.failed}\n${flood.errors.slice(-1500)}`);
    assert.equal(uas.exit, null, `the UAS died during the flood: ${JSON.stringify(uas.exit)} ${uas.stderr}`);

    // The UAS answers normally afterwards.
    await new Promise((r) => setTimeout(r, 1000)); // the last calls' media sockets come back
    const after = await runSipp({
      scenario: 'uac_call.xml',
      remote: `127.0.0.1:${port}`,
      localPort: await freePort(),
      mediaPort: await freeRtpPort(),
      duration: 500,
      timeoutMs: 20000,
    });
    assert.equal(after.code, 0, `the call after the flood failed: ${after.errors.slice(-800)}`);

    // Its own count: no more calls at once than the limit, every one ended.
    uas.child.kill('SIGTERM');
    const exit = await uas.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, uas.stderr);
    const stats = uas.lines.find((l) => l.event === 'stats');
    t.diagnostic(`UAS: ${JSON.stringify(stats)}`);
    assert.ok(stats.maxConcurrent <= maxCalls, `${stats.maxConcurrent} calls at once, limit ${maxCalls}`);
    assert.equal(stats.calls, counts[200] + 1, 'the UAS saw calls that SIPp did not see answered');
    assert.equal(stats.answerErrors, 0);
    assert.equal(stats.disconnected, stats.calls);
    assert.equal(stats.live, 0);
    assert.equal(uas.stderr, '');
  } finally {
    if (!uas.exit) uas.child.kill('SIGKILL');
  }
});
