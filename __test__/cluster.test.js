'use strict';

// examples/cluster (issue 11): Kamailio's dispatcher in front of three
// sipster workers. SIPp calls the cluster's one address: the calls are
// answered and spread over every worker; with one worker killed, the next
// calls still get answered (failover, then probing takes it out); SIGTERM
// stops everything.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const { freePort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');

const START = path.join(__dirname, '..', 'examples', 'cluster', 'start.js');
const CALLS = 300;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startCluster(workers) {
  const port = await freePort();
  const workerPorts = [];
  while (workerPorts.length < workers) {
    const p = await freePort();
    if (p !== port && !workerPorts.includes(p)) workerPorts.push(p);
  }
  const child = spawn(process.execPath, [START, '--port', String(port), '--workers', String(workers), '--worker-ports', workerPorts.join(',')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the cluster was not ready within 30 s')), 30000);
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    exited.then(({ code, signal }) => reject(new Error(`start.js exited (${code ?? signal}) before it was ready`)));
  });
  return { child, exited, ready, port, workerPorts };
}

// SIPp places `CALLS` short calls to the cluster; returns how many were
// answered and by which worker (the port of the 200's Contact).
async function callCluster(port) {
  const result = await runSipp({
    scenario: 'uac_call.xml',
    remote: `127.0.0.1:${port}`,
    localPort: await freePort(),
    calls: CALLS,
    rate: 20,
    duration: 200,
    timeoutMs: 90000,
  });
  const oks = findMessages(parseMessages(result.messages), { direction: 'received', status: 200, cseqMethod: 'INVITE' });
  const byWorker = {};
  const seen = new Set();
  for (const ok of oks) {
    const callId = header(ok, 'call-id');
    if (seen.has(callId)) continue; // a retransmitted 200
    seen.add(callId);
    const workerPort = /@?127\.0\.0\.1:(\d+)/.exec(header(ok, 'contact'))[1];
    byWorker[workerPort] = (byWorker[workerPort] ?? 0) + 1;
  }
  // What the calls that were not answered got instead, by status.
  const refused = {};
  for (const m of findMessages(parseMessages(result.messages), { direction: 'received', cseqMethod: 'INVITE' })) {
    if (m.status >= 300) refused[m.status] = (refused[m.status] ?? 0) + 1;
  }
  return { result, answered: result.stats.successful, byWorker, refused };
}

test('Kamailio spreads 300 calls over 3 sipster workers, fails over when one dies, and SIGTERM stops everything', { timeout: 240000 }, async () => {
  const cluster = await startCluster(3);
  const { ready, workerPorts } = cluster;
  assert.equal(ready.ready, true);
  assert.equal(ready.port, cluster.port);
  assert.equal(ready.workers.length, 3);
  try {
    const first = await callCluster(cluster.port);
    assert.equal(first.answered, CALLS, `SIPp: ${JSON.stringify(first.result.stats)}\n${first.result.errors}`);
    assert.deepEqual(Object.keys(first.byWorker).map(Number).sort(), [...workerPorts].sort());
    for (const port of workerPorts) assert.ok(first.byWorker[port] >= CALLS / 3 - 10, JSON.stringify(first.byWorker));

    // One worker dies without a word.
    process.kill(ready.workers[0], 'SIGKILL');
    const second = await callCluster(cluster.port);
    assert.ok(second.answered >= CALLS * 0.98, `answered ${second.answered} of ${CALLS}, refused ${JSON.stringify(second.refused)}: ${JSON.stringify(second.result.stats)}`);
    assert.equal(second.byWorker[workerPorts[0]], undefined);
    console.log(`cluster: before the kill ${JSON.stringify(first.byWorker)}, after ${JSON.stringify(second.byWorker)} (${second.answered}/${CALLS}, refused ${JSON.stringify(second.refused)})`);
  } finally {
    const started = Date.now();
    cluster.child.kill('SIGTERM');
    const { code } = await cluster.exited;
    const took = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(took < 10000, `stopping took ${took} ms`);
    for (const pid of [...ready.workers, ready.kamailio]) assert.equal(isAlive(pid), false, `pid ${pid} still runs`);
  }
});
