#!/usr/bin/env node
'use strict';

// sipster benchmark: a sipster UAS (bench/sipster-uas.js, answers in JS)
// side by side with a plain pjsua2 UAS (bench/native-uas.cpp, answers in
// onIncomingCall), both on the system pjproject, driven by SIPp over
// 127.0.0.1. `npm run bench`; results as a table on stdout and in
// bench/results/latest.json. See bench/RESULTS.md for what each number is.
//
// Phases (about 9 minutes on 2 cores):
//   cost      CPU per call (utime+stime of all threads, /proc/<pid>/stat; and
//             by thread) and INVITE -> 200 OK time (tshark capture on the
//             UAS ports): 1,500 calls each at 30/s, in alternating chunks.
//   rate      highest rate with 100% success (300 calls per step), native,
//             sipster with its admission guard on, and off (abort expected);
//             with a Node worker->main wake-up baseline first.
//   latency   (within rate, sipster guard on) shim callback -> JS handler,
//             idle and at the highest safe rate, and where the main thread's
//             time goes at 30/s.
//   memory    RSS per concurrent call (4 calls held open, fresh processes)
//             and RSS over a 3,000-call soak with a recorder per call.
//   media     CPU per concurrent G.711 call with a recorder (4 calls playing
//             sip-tester's g711a.pcap).
//   streams   live audio: CPU per concurrent G.711 call with a read and a
//             write stream (JS echoing the caller back) beside the same call
//             with a player and a recorder, and beside the native UAS with a
//             recorder; RTP -> 'data' and write() -> RTP latency
//             (bench/stream-latency.js); the bridge clock with 50 streamed
//             pairs (bench/stream-clock.js).
//
// Options: --only cost,rate,memory,media,streams (run some phases), --quick (fewer
// calls, for trying changes out),
// --no-loop (leaves out sipster with signalling on Node's own thread, the
// default, from the cost and rate phases; the 'sipster' column, and the
// memory and media phases, run with SIPSTER_SIGNALLING=threads, pjsua's
// worker thread, comparable with the results before loop signalling was
// the default; the streams probes run with the default; --loop is accepted
// and changes nothing),
// --rates 40,60,... (the rate phase's steps, calls/s; for a server build of
// pjproject, which goes past the default steps), --rate-calls N (calls per
// step, 300 by default), --max-calls N (calls at once in the rate phase:
// the UASes' maxCalls and SIPp's -l; 4, the stock limit, by default),
// --out FILE (JSON path).

const { spawn, spawnSync, fork, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { startSipp } = require('../harness/sipp');
const { pcapDurationMs } = require('../harness/pcap');
const { freePort } = require('../harness/ports');
const { readLines } = require('../harness/jsonlines');

// ---- options -----------------------------------------------------------------

const argv = process.argv.slice(2);
const argOf = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = argv.includes('--quick');
const ONLY = argOf('--only') ? new Set(argOf('--only').split(',')) : null;
const OUT = argOf('--out') || path.join(__dirname, 'results', 'latest.json');
const want = (phase) => !ONLY || ONLY.has(phase);
const LOOP = !argv.includes('--no-loop');

const CFG = {
  cost: { calls: QUICK ? 300 : 1500, rate: 30, warmup: 100, chunks: QUICK ? 2 : 5 },
  rate: {
    calls: argOf('--rate-calls') ? Number(argOf('--rate-calls')) : QUICK ? 150 : 300,
    rates: argOf('--rates') ? argOf('--rates').split(',').map(Number) : [20, 30, 40, 50, 60, 70, 80, 100, 120],
  },
  latencyIdle: { calls: QUICK ? 20 : 200, rate: 4 }, // 200: a p99 that is not just the max
  soak: { calls: QUICK ? 1000 : 3000, rate: 40, sampleEvery: 500 },
  mediaRounds: QUICK ? 1 : 2,
  memoryRounds: 3,
  talkMs: 20, // SIPp's pause between ACK and BYE in signalling runs
  // SIPp -l, and the UASes' maxCalls in the rate phase: the stock
  // PJSUA_MAX_CALLS unless --max-calls says more (a server build).
  maxOpen: argOf('--max-calls') ? Number(argOf('--max-calls')) : 4,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---- /proc -------------------------------------------------------------------

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// utime+stime of every thread, living or dead, in ms (10 ms resolution).
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // fields 14, 15
}

// Time on CPU of the living threads, in ms with ns resolution
// (/proc/<pid>/task/*/schedstat): for short windows.
function cpuPreciseMs(pid) {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread gone
    }
  }
  return ns / 1e6;
}

// CPU of the living threads by role, in ms (schedstat): the main thread,
// the runtime's helper threads (V8 platform, libuv pool), pjsua's worker,
// the media ioqueue thread, the bridge clock.
function cpuByThread(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      let role = comm;
      if (Number(tid) === pid) role = 'main';
      else if (/^pjsua_/.test(comm)) role = 'pjsua worker';
      else if (comm === 'node' || /^libuv|^V8/.test(comm)) role = 'node helpers';
      out[role] = (out[role] || 0) + ns / 1e6;
    } catch {
      // thread gone
    }
  }
  return out;
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

// ---- statistics --------------------------------------------------------------

function pct(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s[s.length - 1] ?? null, mean };
}
const r2 = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? null : Number(x.toFixed(d)));

// ---- the two UASes -----------------------------------------------------------

let nativeBinary = null;

function buildNative() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-bench-native-'));
  const out = path.join(dir, 'native-uas');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libpjproject'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  // An rpath (not a runpath: it must cover pjsua's own dependencies too)
  // to the pjproject pkg-config found, as the addon has: with a
  // second install (a server build under /opt), the loader would otherwise
  // take the one in ld.so's cache, and mixed builds abort.
  const libdir = execFileSync('pkg-config', ['--variable=libdir', 'libpjproject'], { encoding: 'utf8' }).trim();
  const args = ['-O2', '-o', out, path.join(__dirname, 'native-uas.cpp'), ...flags, `-Wl,--disable-new-dtags,-rpath,${libdir}`];
  const t = Date.now();
  execFileSync('g++', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  log(`built ${out} in ${Date.now() - t} ms`);
  return { dir, binary: out, command: `g++ ${args.join(' ')}` };
}

// The pjsua2 Python UAS runs in a venv that the bench makes (once, kept in
// bench/.venv) with PyPI's pjsua2-python: the binding a Python user would
// pick, with its own bundled pjproject. null when pip cannot get it; the
// phases then run without the Python column.
let pythonBin = null;

function preparePython() {
  const venv = path.join(__dirname, '.venv');
  const bin = path.join(venv, 'bin', 'python');
  const probe = () => spawnSync(bin, ['-c', 'import pjsua2, importlib.metadata as m; print(m.version("pjsua2-python"))'], { encoding: 'utf8' });
  let r = fs.existsSync(bin) ? probe() : null;
  if (!r || r.status !== 0) {
    log(`making ${path.relative(ROOT, venv)} with pjsua2-python from PyPI`);
    const steps = [
      ['python3', ['-m', 'venv', venv]],
      [path.join(venv, 'bin', 'pip'), ['install', '--quiet', 'pjsua2-python']],
    ];
    for (const [cmd, args] of steps) {
      const out = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (out.status !== 0) {
        log(`no pjsua2 Python column: ${cmd} ${args.join(' ')}: ${`${out.stderr}`.trim().slice(-300)}`);
        return null;
      }
    }
    r = probe();
    if (r.status !== 0) return null;
  }
  pythonBin = bin;
  return { python: bin, pjsua2Python: r.stdout.trim() };
}

function lineReader(stream) {
  const lines = [];
  const waiters = [];
  readLines(stream, (line) => {
    if (waiters.length) waiters.shift()(line);
    else lines.push(line);
  });
  return (limitMs = 10000) =>
    new Promise((resolve, reject) => {
      if (lines.length) return resolve(lines.shift());
      const t = setTimeout(() => reject(new Error('UAS did not answer')), limitMs);
      waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
}

// A UAS process: { kind, pid, port, stats(), gc(), stop(), exit (promise), alive() }
async function startUas(kind, opts = {}) {
  let child;
  let stderr = '';
  let exitInfo = null;
  const ui = {};
  if (kind.startsWith('sipster')) {
    const env = { ...process.env };
    env.SIPSTER_SIGNALLING = kind === 'sipster-loop' ? 'loop' : 'threads';
    child = fork(path.join(__dirname, 'sipster-uas.js'), [JSON.stringify(opts)], {
      env,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const replies = [];
    const waiters = [];
    child.on('message', (m) => {
      if (waiters.length) waiters.shift()(m);
      else replies.push(m);
    });
    const next = (limitMs = 10000) =>
      new Promise((resolve, reject) => {
        if (replies.length) return resolve(replies.shift());
        const t = setTimeout(() => reject(new Error(`sipster UAS did not answer; stderr: ${stderr.slice(-500)}`)), limitMs);
        waiters.push((m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
    ui.request = async (msg) => {
      child.send(msg);
      return next();
    };
    ui.ready = await Promise.race([
      next(15000),
      new Promise((_, rej) => child.once('exit', () => rej(new Error(`sipster UAS exited: ${stderr}`)))),
    ]);
    ui.port = ui.ready.port;
    ui.stats = async (reset = false) => {
      const s = await ui.request({ type: 'stats', reset });
      return { ...s, calls: s.callCount };
    };
    ui.gc = () => ui.request({ type: 'gc' });
    ui.quit = () => child.send({ type: 'quit' });
  } else {
    // native and python speak the same stdin protocol
    const args = opts.recordDir ? ['--record', opts.recordDir] : [];
    if (opts.maxCalls) args.push('--max-calls', String(opts.maxCalls));
    child = kind === 'python'
      ? spawn(pythonBin, [path.join(__dirname, 'python-uas.py'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(nativeBinary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const next = lineReader(child.stdout);
    const first = await next(15000);
    if (!first.startsWith('READY ')) throw new Error(`${kind} UAS: ${first}`);
    ui.port = Number(first.split(' ')[1]);
    ui.stats = async () => {
      child.stdin.write('stats\n');
      return JSON.parse(await next());
    };
    ui.gc = async () => {};
    ui.quit = () => child.stdin.write('quit\n');
  }
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr = (stderr + d).slice(-20000);
  });
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    }),
  );
  return {
    kind,
    pid: child.pid,
    port: ui.port,
    stats: ui.stats,
    gc: ui.gc,
    exit,
    alive: () => exitInfo === null,
    exitInfo: () => exitInfo,
    stderr: () => stderr,
    async stop() {
      if (exitInfo) return exitInfo;
      try {
        ui.quit();
      } catch {
        // pipe gone
      }
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
      return exitInfo;
    },
  };
}

async function waitCalls(uas, n, limitMs) {
  const end = Date.now() + limitMs;
  for (;;) {
    const s = await uas.stats();
    if (s.calls === n) return true;
    if (Date.now() > end) return false;
    await sleep(25);
  }
}

// ---- SIPp --------------------------------------------------------------------

// Runs SIPp against the UAS; stops it at once if the UAS dies (SIPp would
// otherwise wait out its 30 s response timeouts).
async function sippCalls(uas, { calls, rate, scenario = 'uac_call', duration = CFG.talkMs, timeoutMs, maxOpen = CFG.maxOpen }) {
  const t = Date.now();
  const sipp = await startSipp({
    scenario,
    remote: `127.0.0.1:${uas.port}`,
    localPort: await freePort(),
    calls,
    rate,
    duration,
    extraArgs: ['-l', String(maxOpen)],
    timeoutMs: timeoutMs ?? Math.ceil((calls / rate) * 1000 * 2) + 30000,
  });
  const uasDied = uas.exit.then(async () => {
    await sleep(500);
    return sipp.stop();
  });
  const r = await Promise.race([sipp.done, uasDied]);
  const codes = {};
  for (const m of r.messages.matchAll(/^SIP\/2\.0 (\d{3})/gm)) codes[m[1]] = (codes[m[1]] || 0) + 1;
  return {
    code: r.code,
    successful: r.stats.successful ?? 0,
    failed: r.stats.failed ?? 0,
    timedOut: r.timedOut,
    wallMs: Date.now() - t,
    responses: codes,
    stderr: r.stderr.slice(-500),
  };
}

// ---- packet capture ----------------------------------------------------------

async function startCapture(ports, file) {
  const filter = ports.map((p) => `udp port ${p}`).join(' or ');
  const child = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file, '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 15000);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      if (/Capturing on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`tshark exited ${code}: ${err}`)));
  });
  await sleep(300);
  return {
    async stop() {
      await sleep(300);
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

// Per Call-ID: first INVITE -> first 200 OK to it, in ms (capture
// timestamps), for the calls to/from `port`. tshark decodes SIP only on 5060
// unless told: `allPorts` are decoded as SIP.
function inviteTo200(file, port, allPorts = [port]) {
  const out = execFileSync(
    'tshark',
    ['-r', file, ...allPorts.flatMap((p) => ['-d', `udp.port==${p},sip`]), '-Y', `sip && udp.port==${port}`, '-T', 'fields',
      '-e', 'frame.time_epoch', '-e', 'sip.Call-ID', '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.CSeq.method'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const invite = new Map();
  const ok = new Map();
  let base = null;
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [ts, callId, method, status, cseqMethod] = line.split('\t');
    const [sec, frac = '0'] = ts.split('.');
    if (base === null) base = Number(sec);
    const t = (Number(sec) - base) * 1000 + Number(`0.${frac}`) * 1000;
    if (method === 'INVITE' && !invite.has(callId)) invite.set(callId, t);
    else if (status === '200' && cseqMethod === 'INVITE' && !ok.has(callId)) ok.set(callId, t);
  }
  const deltas = [];
  for (const [id, t] of invite) if (ok.has(id)) deltas.push(ok.get(id) - t);
  return { invites: invite.size, answered: ok.size, ms: summary(deltas) };
}

// ---- phases ------------------------------------------------------------------

async function idleCpuRate(uas, ms = 4000) {
  const a = cpuPreciseMs(uas.pid);
  const b = cpuMs(uas.pid);
  await sleep(ms);
  return { preciseMsPerS: (cpuPreciseMs(uas.pid) - a) / (ms / 1000), statMsPerS: (cpuMs(uas.pid) - b) / (ms / 1000) };
}

// The UASes (sipster, native and, when its venv could be made, pjsua2
// Python) stay up for the whole phase and take turns: chunks of calls in
// the order sipster, native, python, python, native, sipster, ... so that
// load from elsewhere on the machine falls on all alike. One capture covers
// all.
async function phaseCost(workDir) {
  const { calls, rate, warmup, chunks } = CFG.cost;
  const per = Math.ceil(calls / chunks);
  log(`cost: ${calls} calls each at ${rate}/s, in ${chunks} alternating chunks of ${per}`);
  const kinds = ['sipster', 'native', ...(pythonBin ? ['python'] : []), ...(LOOP ? ['sipster-loop'] : [])];
  const uas = {};
  for (const kind of kinds) uas[kind] = await startUas(kind);
  try {
    const acc = {};
    for (const kind of kinds) {
      const u = uas[kind];
      const warm = await sippCalls(u, { calls: warmup, rate });
      acc[kind] = { warmupOk: warm.code === 0, successful: 0, failed: 0, cpu: 0, wallMs: 0, threads: {}, calls: 0 };
    }
    await sleep(1000);
    const idle = {};
    const idleP = kinds.map(async (kind) => {
      idle[kind] = await idleCpuRate(uas[kind]);
    });
    await Promise.all(idleP);
    const pcap = path.join(workDir, 'cost.pcap');
    const cap = await startCapture(kinds.map((k) => uas[k].port), pcap);
    const before = {};
    for (const kind of kinds) before[kind] = (await uas[kind].stats()).answered;
    for (let i = 0; i < chunks; i++) {
      const order = i % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const u = uas[kind];
        const a = acc[kind];
        const n = Math.min(per, calls - a.calls);
        if (n <= 0) continue;
        await sleep(700); // the other UAS's last calls are over
        const threads0 = cpuByThread(u.pid);
        const cpu0 = cpuMs(u.pid);
        const t0 = Date.now();
        const run = await sippCalls(u, { calls: n, rate });
        a.cpu += cpuMs(u.pid) - cpu0;
        a.wallMs += Date.now() - t0;
        const threads1 = cpuByThread(u.pid);
        for (const [role, ms] of Object.entries(threads1)) a.threads[role] = (a.threads[role] || 0) + ms - (threads0[role] || 0);
        a.successful += run.successful;
        a.failed += run.failed;
        a.calls += n;
      }
    }
    await cap.stop();
    const out = {};
    for (const kind of kinds) {
      const a = acc[kind];
      const u = uas[kind];
      const after = await u.stats();
      const resp = inviteTo200(pcap, u.port, kinds.map((k) => uas[k].port));
      const perThread = {};
      for (const [role, ms] of Object.entries(a.threads)) perThread[role] = r2(ms / a.calls, 3);
      out[kind] = {
        kind,
        calls: a.calls,
        rate,
        chunks,
        warmupOk: a.warmupOk,
        successful: a.successful,
        failed: a.failed,
        answeredByUas: after.answered - before[kind],
        wallMs: a.wallMs,
        cpuMsTotal: r2(a.cpu),
        cpuMsPerCall: r2(a.cpu / a.calls, 3),
        idleCpuMsPerS: r2(idle[kind].statMsPerS),
        idleCpuPreciseMsPerS: r2(idle[kind].preciseMsPerS, 3),
        cpuMsPerCallNetOfIdle: r2((a.cpu - idle[kind].preciseMsPerS * (a.wallMs / 1000)) / a.calls, 3),
        cpuMsPerCallByThread: perThread,
        inviteTo200: {
          invites: resp.invites,
          answered: resp.answered,
          p50: r2(resp.ms.p50, 3),
          p90: r2(resp.ms.p90, 3),
          p99: r2(resp.ms.p99, 3),
          max: r2(resp.ms.max, 3),
          mean: r2(resp.ms.mean, 3),
        },
      };
    }
    fs.rmSync(pcap, { force: true });
    return out;
  } finally {
    for (const kind of kinds) await uas[kind].stop();
  }
}

function latencySummary(lat) {
  if (!lat) return null;
  const us = (arr) => {
    const s = summary(arr.map((x) => x / 1000));
    return { n: s.n, p50: r2(s.p50, 1), p90: r2(s.p90, 1), p99: r2(s.p99, 1), max: r2(s.max, 1) };
  };
  return { callHandlerUs: us(lat.callHandler), disconnectedHandlerUs: us(lat.stateHandler), anyEventDispatchUs: us(lat.dispatch) };
}

// Steps up the rate until a step fails; then tries the midpoint once.
async function phaseRate(label, kind, opts) {
  log(`rate: ${label}`);
  const steps = [];
  let uas = await startUas(kind, opts);
  let latencyIdle = null;
  const restart = async () => {
    await uas.stop();
    uas = await startUas(kind, opts);
  };
  const step = async (rate) => {
    if (!uas.alive()) await restart();
    await waitCalls(uas, 0, 3000);
    await sleep(1000); // media sockets of earlier calls back in the ioqueue
    if (kind.startsWith('sipster')) await uas.stats(true); // reset latency samples
    const threads0 = cpuByThread(uas.pid);
    const r = await sippCalls(uas, { calls: CFG.rate.calls, rate, timeoutMs: 60000 });
    const threads1 = uas.alive() ? cpuByThread(uas.pid) : null;
    await sleep(300);
    const alive = uas.alive();
    const s = alive ? await uas.stats() : null;
    const ok = alive && r.code === 0 && r.successful === CFG.rate.calls && r.failed === 0;
    const entry = {
      rate,
      ok,
      successful: r.successful,
      failed: r.failed,
      achievedRate: ok ? r2(CFG.rate.calls / (r.wallMs / 1000), 1) : null,
      nonOkFinal: Object.fromEntries(Object.entries(r.responses).filter(([c]) => Number(c) >= 300)),
      uasAlive: alive,
    };
    if (!alive) {
      entry.uasExit = uas.exitInfo();
      const lines = uas.stderr().split('\n').filter((l) => /assert|Assert|abort|Abort/.test(l));
      entry.uasStderr = lines.slice(-3).join('\n') || uas.stderr().slice(-300);
    }
    if (s && s.latency) {
      entry.latency = latencySummary(s.latency);
      // Where the main thread's time goes, per call (the handlers run
      // inside the dispatcher; answer() inside the 'call' handler).
      const n = s.eventKinds.call || 1; // calls of this step (counters reset per step)
      const dispatchMs = Object.values(s.jsTime.dispatchNs).reduce((a, b) => a + b, 0) / 1e6;
      const mainMs = threads1 ? threads1.main - threads0.main : null;
      entry.mainThread = {
        calls: s.eventKinds.call || 0,
        eventsPerCall: Object.fromEntries(Object.entries(s.eventKinds).map(([k, v]) => [k, r2(v / n, 2)])),
        cpuMsPerCall: r2(mainMs / n, 3),
        jsDispatchMsPerCall: r2(dispatchMs / n, 3),
        answerMsPerCall: r2(s.jsTime.answerNs / 1e6 / n, 3),
        jsDispatchByKindMsPerCall: Object.fromEntries(Object.entries(s.jsTime.dispatchNs).map(([k, v]) => [k, r2(v / 1e6 / n, 3)])),
        outsideDispatchMsPerCall: r2((mainMs - dispatchMs) / n, 3),
      };
    }
    log(`  ${label} ${rate}/s: ${ok ? 'ok' : 'FAILED'} (${r.successful}/${CFG.rate.calls}` +
      `${alive ? '' : `, UAS died: ${JSON.stringify(entry.uasExit)}`}` +
      `${Object.keys(entry.nonOkFinal).length ? `, ${JSON.stringify(entry.nonOkFinal)}` : ''})`);
    steps.push(entry);
    return ok;
  };
  try {
    if (opts.latency) {
      // idle: calls spaced far apart
      await uas.stats(true);
      await sippCalls(uas, { calls: CFG.latencyIdle.calls, rate: CFG.latencyIdle.rate });
      latencyIdle = latencySummary((await uas.stats(true)).latency);
    }
    let lastOk = null;
    let firstBad = null;
    for (const rate of CFG.rate.rates) {
      if (await step(rate)) lastOk = rate;
      else {
        firstBad = rate;
        break;
      }
    }
    if (lastOk !== null && firstBad !== null && firstBad - lastOk > 5) {
      const mid = Math.round((lastOk + firstBad) / 2);
      if (await step(mid)) lastOk = mid;
    }
    const best = steps.find((s) => s.rate === lastOk);
    return {
      label,
      kind,
      admissionGuard: kind.startsWith('sipster') ? opts.admissionGuard !== false : null,
      highestSafeRate: lastOk,
      firstFailingRate: steps.filter((s) => !s.ok).map((s) => s.rate).sort((a, b) => a - b)[0] ?? null,
      aborted: steps.some((s) => !s.uasAlive),
      steps,
      latencyIdle,
      latencyAtHighestSafeRate: best ? best.latency ?? null : null,
      mainThreadAt30: steps.find((x) => x.rate === 30)?.mainThread ?? null,
    };
  } finally {
    await uas.stop();
  }
}

// RSS with 4 calls held open minus RSS idle, in a fresh process (nothing
// cached from earlier calls), after a full GC for sipster; median of rounds.
async function rssPerCallRound(kind, recordDir) {
  const uas = await startUas(kind, { record: true, recordDir });
  const settled = async () => {
    const v = [];
    for (let i = 0; i < 3; i++) {
      await uas.gc();
      await sleep(150);
      v.push(rssBytes(uas.pid));
    }
    return v.sort((a, b) => a - b)[1];
  };
  try {
    await sleep(1000);
    const idle = await settled();
    const held = sippCalls(uas, { calls: 4, rate: 50, duration: 5000 });
    const up = await waitCalls(uas, 4, 3000);
    await sleep(700);
    const with4 = await settled();
    const run = await held;
    return { idle, with4, ok: up && run.successful === 4 };
  } finally {
    await uas.stop();
  }
}

async function phaseMemory(kind, recordDir) {
  log(`memory: ${kind}`);
  const rounds = [];
  for (let i = 0; i < CFG.memoryRounds; i++) rounds.push(await rssPerCallRound(kind, recordDir));
  const perCallKB = rounds.map((x) => (x.with4 - x.idle) / 4 / 1024).sort((a, b) => a - b);
  const idle = rounds.map((x) => x.idle).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  const uas = await startUas(kind, { record: true, recordDir });
  try {
    // soak with a recorder per call
    await waitCalls(uas, 0, 3000);
    await sleep(1000);
    const series = [];
    await uas.gc();
    series.push({ calls: 0, rss: rssBytes(uas.pid) });
    const { calls, rate, sampleEvery } = CFG.soak;
    const soakRun = sippCalls(uas, { calls, rate });
    let done = false;
    soakRun.then(() => {
      done = true;
    });
    let next = sampleEvery;
    const base = (await uas.stats()).disconnected;
    while (!done) {
      await sleep(200);
      const s = await uas.stats();
      if (s.disconnected - base >= next) {
        await uas.gc();
        series.push({ calls: s.disconnected - base, rss: rssBytes(uas.pid) });
        next += sampleEvery;
      }
    }
    const soak = await soakRun;
    await waitCalls(uas, 0, 3000);
    await sleep(1000);
    await uas.gc();
    const endStats = await uas.stats();
    series.push({ calls: endStats.disconnected - base, rss: rssBytes(uas.pid), final: true });
    const last = series[series.length - 1];
    const growthAfter = (n) => {
      const from = series.find((p) => p.calls >= n);
      return from && from !== last ? r2((last.rss - from.rss) / 1048576) : null;
    };
    return {
      kind,
      idleRssMB: r2(idle / 1048576),
      fourCallsUp: rounds.every((x) => x.ok),
      rssPerConcurrentCallKB: r2(perCallKB[Math.floor(perCallKB.length / 2)], 1),
      rssPerConcurrentCallRoundsKB: perCallKB.map((x) => r2(x, 1)),
      soak: {
        calls,
        rate,
        successful: soak.successful,
        failed: soak.failed,
        rssMB: series.map((p) => [p.calls, r2(p.rss / 1048576)]),
        growthAfter1000MB: growthAfter(1000),
        growthAfter2000MB: growthAfter(2000),
        bridgePortsAtEnd: endStats.ports,
        recorders: endStats.recorders,
        recordErrors: endStats.recordErrors,
      },
    };
  } finally {
    await uas.stop();
  }
}

// CPU of `kind` with `counts` concurrent RTP calls in turn (4 = stock
// PJSUA_MAX_CALLS), in one UAS process after a warm-up round with RTP, so
// that a long-running server's state (V8's optimised code) is what is
// measured. Per count: CPU % of a core per call, and by thread.
async function phaseMedia(kind, recordDir, media = 'record', counts = [4]) {
  log(`media: ${kind}, ${media}, ${counts.join('/')} calls`);
  const sound = path.join(recordDir, '..', 'sound.wav');
  if (!fs.existsSync(sound)) execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', sound, 'synth', '10', 'sine', '440']);
  const maxCalls = Math.max(...counts);
  const uas = await startUas(kind, { record: true, recordDir, media, sound, maxCalls });
  const pcapMs = pcapDurationMs('g711a.pcap');
  const windowMs = Math.min(5000, pcapMs - 1500);
  // One round of `calls` RTP calls; the CPU of a window in its middle.
  const round = async (calls) => {
    const run = sippCalls(uas, { scenario: 'uac_call_rtp', calls, rate: 50, duration: pcapMs + 300, maxOpen: calls });
    const up = await waitCalls(uas, calls, 5000);
    await sleep(500);
    const p0 = cpuPreciseMs(uas.pid);
    const b0 = cpuByThread(uas.pid);
    const t0 = process.hrtime.bigint();
    await sleep(windowMs);
    const p1 = cpuPreciseMs(uas.pid);
    const b1 = cpuByThread(uas.pid);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const threads = {};
    for (const [role, ms] of Object.entries(b1)) threads[role] = ms - (b0[role] || 0);
    const res = await run;
    await waitCalls(uas, 0, 3000);
    await sleep(700);
    return { up, successful: res.successful, secs, precise: p1 - p0, threads };
  };
  try {
    await sippCalls(uas, { calls: 4, rate: 20 }); // warm-up, no RTP
    await waitCalls(uas, 0, 3000);
    await round(maxCalls); // warm-up with RTP, not counted
    const idle = await idleCpuRate(uas, 3000);
    const byCount = {};
    for (const calls of counts) {
      const rounds = [];
      for (let i = 0; i < CFG.mediaRounds; i++) rounds.push(await round(calls));
      const secs = rounds.reduce((a, r) => a + r.secs, 0);
      const msPerS = rounds.reduce((a, r) => a + r.precise, 0) / secs;
      const threads = {};
      for (const r of rounds) for (const [role, ms] of Object.entries(r.threads)) threads[role] = (threads[role] || 0) + ms / secs;
      const perCallPct = (ms) => r2((ms / calls / 1000) * 100, 3);
      byCount[calls] = {
        calls,
        rounds: rounds.length,
        callsUp: rounds.every((r) => r.up),
        successful: rounds.reduce((a, r) => a + r.successful, 0),
        windowS: r2(secs, 2),
        cpuPct: r2((msPerS / 1000) * 100, 3),
        cpuPctPerCall: perCallPct(msPerS),
        cpuPctPerCallNetOfIdle: perCallPct(msPerS - idle.preciseMsPerS),
        cpuPctPerCallByThread: Object.fromEntries(Object.entries(threads).map(([role, ms]) => [role, perCallPct(ms)])),
      };
    }
    const st = await uas.stats();
    return { kind, media, recorders: st.recorders, idleCpuPct: r2((idle.preciseMsPerS / 1000) * 100, 3), ...byCount[maxCalls], byCount };
  } finally {
    await uas.stop();
  }
}

// The floor of any JS that touches audio every 20 ms: the main-thread CPU
// of a Node process that does nothing but wake on a 20 ms interval (the
// JIT warm, as in the media phases), in % of a core.
async function phaseWakeFloor(seconds = 5) {
  log('media: Node wake floor (a 20 ms interval, nothing else)');
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 20)'], { stdio: 'ignore' });
  try {
    await sleep(2000);
    const mainMs = () => Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    const a = mainMs();
    await sleep(seconds * 1000);
    return { seconds, mainCpuPct: r2(((mainMs() - a) / (seconds * 1000)) * 100, 3) };
  } finally {
    child.kill();
  }
}

// What any cross-thread hop into an idle Node main loop costs on this
// machine: a worker thread posts its hrtime every 20 ms, the main thread
// notes the delay. A yardstick for the event latency above.
async function phaseWakeup() {
  log('wake-up baseline: worker thread -> main loop');
  const { Worker } = require('node:worker_threads');
  const n = 200;
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     let i = 0;
     const tick = () => { parentPort.postMessage(process.hrtime.bigint()); if (++i < ${n}) setTimeout(tick, 20); };
     tick();`,
    { eval: true },
  );
  const us = [];
  await new Promise((resolve) => {
    w.on('message', (t) => {
      us.push(Number(process.hrtime.bigint() - t) / 1000);
      if (us.length === n) resolve();
    });
  });
  await w.terminate();
  const s = summary(us);
  return { n: s.n, p50: r2(s.p50, 1), p90: r2(s.p90, 1), p99: r2(s.p99, 1) };
}

// A probe script in a child process; its last stdout line is its JSON result.
function runProbe(script, args = []) {
  log(`probe: ${script}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, script), ...args], { encoding: 'utf8', timeout: 400000 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function phaseStreams(recordDir) {
  const out = { cpu: {} };
  // Alternating rounds, so that load from elsewhere falls on both alike.
  for (let round = 0; round < (QUICK ? 1 : 2); round++) {
    for (const media of round % 2 ? ['streams', 'files'] : ['files', 'streams']) {
      const r = await phaseMedia('sipster', recordDir, media, [1, 2, 3, 4]);
      (out.cpu[media] ||= []).push(r);
    }
  }
  out.cpu.native = [await phaseMedia('native', recordDir)];
  out.wakeFloor = await phaseWakeFloor();
  if (argv.includes('--no-probes')) return out; // the CPU part only
  out.latency = runProbe('stream-latency.js', [String(QUICK ? 100 : 300)]);
  out.clock = runProbe('stream-clock.js', [String(QUICK ? 5 : 10)]);
  return out;
}

// ---- report --------------------------------------------------------------------

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  // stdout whatever the exit status (`sipp -v` exits 1)
  const sh = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return r.error ? null : `${r.stdout}`.trim() || null;
  };
  return {
    nproc: Number(sh('nproc', [])),
    cpuModel: model,
    kernel: os.release(),
    node: process.version,
    pjproject: sh('pkg-config', ['--modversion', 'libpjproject']),
    sipp: (sh('sipp', ['-v']) || '').split('\n').find((l) => /SIPp v/.test(l))?.trim() ?? null,
    tshark: (sh('tshark', ['--version']) || '').split('\n')[0],
    gxx: (sh('g++', ['--version']) || '').split('\n')[0],
    loadavgAtStart: os.loadavg().map((x) => r2(x)),
    sipsterNode: (() => {
      try {
        return fs.statSync(path.join(ROOT, 'sipster.node')).mtime.toISOString();
      } catch {
        return null;
      }
    })(),
    gitHead: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    gitDirty: sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'pjsip-sys', 'index.js']),
  };
}

function ratio(a, b) {
  return a === null || b === null || !b ? null : r2(a / b, 3);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => `| ${r.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

function soakPoints(soak) {
  const at = (n) => soak.rssMB.find(([c]) => c >= n)?.[1] ?? '-';
  return `${at(0)}/${at(1000)}/${at(2000)}/${soak.rssMB[soak.rssMB.length - 1][1]}`;
}

function render(res) {
  // Rows of 6 cells leave the pjsua2 Python column (the 4th) empty.
  const rows = [['metric', 'sipster (threads)', 'native pjsua2', 'pjsua2 Python', 'sipster/native', 'target', 'met']];
  const c = res.cost;
  if (c) {
    const s = c.sipster;
    const n = c.native;
    const p = c.python || null;
    const pv = (f) => (p ? f(p) : '-');
    const cr = ratio(s.cpuMsPerCall, n.cpuMsPerCall);
    const allOk = [s, n, p].every((x) => !x || x.successful === x.calls);
    rows.push([`calls OK (${s.calls} at ${s.rate}/s)`, `${s.successful}/${s.calls}`, `${n.successful}/${n.calls}`, pv((x) => `${x.successful}/${x.calls}`), '', '100%',
      allOk ? 'yes' : 'NO']);
    rows.push(['CPU per call, ms (utime+stime)', s.cpuMsPerCall, n.cpuMsPerCall, pv((x) => x.cpuMsPerCall), cr, '<= 1.25x native', cr !== null && cr <= 1.25 ? 'yes' : 'NO']);
    if (p) {
      rows.push(['  sipster / pjsua2 Python', '', '', '', ratio(s.cpuMsPerCall, p.cpuMsPerCall), '< 1 (below Python)', s.cpuMsPerCall < p.cpuMsPerCall ? 'yes' : 'NO']);
    }
    rows.push(['CPU per call net of idle, ms', s.cpuMsPerCallNetOfIdle, n.cpuMsPerCallNetOfIdle, pv((x) => x.cpuMsPerCallNetOfIdle),
      ratio(s.cpuMsPerCallNetOfIdle, n.cpuMsPerCallNetOfIdle), '', '']);
    const byThread = [s, n, p].filter(Boolean).map((x) => x.cpuMsPerCallByThread);
    const roles = [...new Set(byThread.flatMap((t) => Object.keys(t)))];
    for (const role of roles) {
      if (byThread.every((t) => !t[role])) continue;
      rows.push([`  of which thread "${role}", ms`, s.cpuMsPerCallByThread[role] ?? 0, n.cpuMsPerCallByThread[role] ?? 0, pv((x) => x.cpuMsPerCallByThread[role] ?? 0), '', '', '']);
    }
    rows.push(['idle CPU, ms/s', s.idleCpuPreciseMsPerS, n.idleCpuPreciseMsPerS, pv((x) => x.idleCpuPreciseMsPerS), ratio(s.idleCpuPreciseMsPerS, n.idleCpuPreciseMsPerS), '', '']);
    const d = r2(s.inviteTo200.p50 - n.inviteTo200.p50, 3);
    rows.push(['INVITE->200 median, ms', s.inviteTo200.p50, n.inviteTo200.p50, pv((x) => x.inviteTo200.p50), ratio(s.inviteTo200.p50, n.inviteTo200.p50),
      '<= native + 0.3 ms', d !== null && d <= 0.3 ? `yes (+${d})` : `NO (+${d})`]);
    rows.push(['INVITE->200 p99, ms', s.inviteTo200.p99, n.inviteTo200.p99, pv((x) => x.inviteTo200.p99), ratio(s.inviteTo200.p99, n.inviteTo200.p99), '', '']);
    const l = c['sipster-loop'];
    if (l) {
      // The default mode, in the sipster column, against the same native and Python runs.
      const lr = ratio(l.cpuMsPerCall, n.cpuMsPerCall);
      rows.push([`loop signalling (default): calls OK`, `${l.successful}/${l.calls}`, '', '', '', '', '']);
      rows.push(['loop signalling (default): CPU per call, ms', l.cpuMsPerCall, n.cpuMsPerCall, pv((x) => x.cpuMsPerCall), lr, '<= 1.25x native', lr !== null && lr <= 1.25 ? 'yes' : 'NO']);
      if (p) rows.push(['  loop / pjsua2 Python', '', '', '', ratio(l.cpuMsPerCall, p.cpuMsPerCall), '< 1 (below Python)', l.cpuMsPerCall < p.cpuMsPerCall ? 'yes' : 'NO']);
      rows.push(['  loop / threaded sipster', '', '', '', ratio(l.cpuMsPerCall, s.cpuMsPerCall), '', '']);
      rows.push(['loop signalling (default): idle CPU, ms/s', l.idleCpuPreciseMsPerS, n.idleCpuPreciseMsPerS, pv((x) => x.idleCpuPreciseMsPerS), '', '', '']);
      rows.push(['loop signalling (default): INVITE->200 p50/p99, ms', `${l.inviteTo200.p50}/${l.inviteTo200.p99}`, `${n.inviteTo200.p50}/${n.inviteTo200.p99}`, pv((x) => `${x.inviteTo200.p50}/${x.inviteTo200.p99}`), '', '', '']);
    }
  }
  const r = res.rate;
  if (r) {
    const g = r.sipsterGuardOn;
    const off = r.sipsterGuardOff;
    const n = r.native;
    const desc = (x) => (x ? `${x.highestSafeRate ?? '<20'}${x.aborted ? ` (abort at ${x.firstFailingRate})` : x.firstFailingRate ? ` (fails at ${x.firstFailingRate})` : ''}` : '');
    rows.push(['highest safe rate, calls/s (guard on)', desc(g), desc(n), r.python ? desc(r.python) : '-', ratio(g?.highestSafeRate, n?.highestSafeRate), '', '']);
    rows.push(['highest safe rate, calls/s (guard off)', desc(off), desc(n), ratio(off?.highestSafeRate, n?.highestSafeRate), '', '']);
    if (res.wakeup) {
      rows.push(['baseline: Node worker->main hop, p50/p99 us', `${res.wakeup.p50}/${res.wakeup.p99}`, '-', '', '', '']);
    }
    if (g?.latencyIdle) {
      const p99 = g.latencyIdle.callHandlerUs.p99;
      rows.push(['event latency idle, p50/p99 us (call)', `${g.latencyIdle.callHandlerUs.p50}/${p99}`, '0 (in the callback)', '0 (in the callback)', '',
        'p99 <= 500 us', p99 <= 500 ? 'yes' : 'NO']);
    }
    const lp = r.sipsterLoop;
    if (lp) {
      rows.push(['loop signalling (default): highest safe rate, calls/s', desc(lp), desc(n), r.python ? desc(r.python) : '-', ratio(lp.highestSafeRate, n?.highestSafeRate), '', '']);
      if (lp.latencyIdle) {
        const p99 = lp.latencyIdle.callHandlerUs.p99;
        rows.push(['loop signalling (default): event latency idle, p50/p99 us', `${lp.latencyIdle.callHandlerUs.p50}/${p99}`, '', '', '', 'p99 <= 500 us', p99 <= 500 ? 'yes' : 'NO']);
      }
    }
    if (g?.mainThreadAt30) {
      const b = g.mainThreadAt30;
      rows.push(['sipster main thread at 30/s, ms per call', b.cpuMsPerCall, '-', '', '', '']);
      rows.push(['  in JS dispatch + handlers, wall ms (incl. answer)', b.jsDispatchMsPerCall, '-', '', '', '']);
      rows.push(['    of which call.answer(), wall ms', b.answerMsPerCall, '-', '', '', '']);
      rows.push(['  outside JS dispatch (event objects, wake-ups)', b.outsideDispatchMsPerCall, '-', '', '', '']);
    }
    if (g?.latencyAtHighestSafeRate) {
      const l = g.latencyAtHighestSafeRate;
      rows.push([`event latency at ${g.highestSafeRate}/s, p50/p99 us (call)`, `${l.callHandlerUs.p50}/${l.callHandlerUs.p99}`, '-', '', '', '']);
      rows.push([`  any event at ${g.highestSafeRate}/s, p50/p99 us`, `${l.anyEventDispatchUs.p50}/${l.anyEventDispatchUs.p99}`, '-', '', '', '']);
    }
  }
  const m = res.memory;
  if (m) {
    rows.push(['idle RSS, MB', m.sipster.idleRssMB, m.native.idleRssMB, ratio(m.sipster.idleRssMB, m.native.idleRssMB), '', '']);
    rows.push([`RSS per concurrent call, KB (median of ${m.sipster.rssPerConcurrentCallRoundsKB.length})`, m.sipster.rssPerConcurrentCallKB, m.native.rssPerConcurrentCallKB,
      ratio(m.sipster.rssPerConcurrentCallKB, m.native.rssPerConcurrentCallKB), '', '']);
    rows.push([`soak RSS at 0/1000/2000/end, MB (${m.sipster.soak.calls} calls)`, soakPoints(m.sipster.soak), soakPoints(m.native.soak), '', '', '']);
    for (const n of [1000, 2000]) {
      const a = m.sipster.soak[`growthAfter${n}MB`];
      const b = m.native.soak[`growthAfter${n}MB`];
      if (a === null || a === undefined) continue;
      rows.push([`RSS growth from call ${n} to the end, MB`, a, b, '', n === 2000 ? '< 2 MB' : '', n === 2000 ? (a < 2 ? 'yes' : 'NO') : '']);
    }
    rows.push(['soak calls OK', `${m.sipster.soak.successful}/${m.sipster.soak.calls}`, `${m.native.soak.successful}/${m.native.soak.calls}`, '', '', '']);
  }
  const md = res.media;
  if (md) {
    rows.push(['media: CPU % of a core per G.711 call + recorder', md.sipster.cpuPctPerCall, md.native.cpuPctPerCall,
      ratio(md.sipster.cpuPctPerCall, md.native.cpuPctPerCall), '', '']);
    rows.push(['  same, net of idle', md.sipster.cpuPctPerCallNetOfIdle, md.native.cpuPctPerCallNetOfIdle,
      ratio(md.sipster.cpuPctPerCallNetOfIdle, md.native.cpuPctPerCallNetOfIdle), '', '']);
  }
  const st = res.streams;
  if (st) {
    const mean = (runs, key) => r2(runs.reduce((a, x) => a + x[key], 0) / runs.length, 3);
    const files = mean(st.cpu.files, 'cpuPctPerCall');
    const streams = mean(st.cpu.streams, 'cpuPctPerCall');
    const native = mean(st.cpu.native, 'cpuPctPerCall');
    const over = r2(((streams - files) / files) * 100, 1);
    rows.push(['streams: CPU % of a core per call, player + recorder', files, native, ratio(files, native), '', '']);
    rows.push(['streams: CPU % per call, read + write stream, JS echo', streams, native, ratio(streams, native),
      'within 10% of player + recorder', over <= 10 ? `yes (${over}%)` : `NO (${over}%)`]);
    // Least squares over 1..4 calls: CPU = fixed + marginal * calls.
    const fit = (runs) => {
      const pts = runs.flatMap((x) => Object.values(x.byCount || {}).map((b) => [b.calls, b.cpuPct]));
      const n = pts.length;
      const mx = pts.reduce((a, [x]) => a + x, 0) / n;
      const my = pts.reduce((a, [, y]) => a + y, 0) / n;
      const sxx = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
      const slope = sxx ? pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : null;
      return slope === null ? null : { marginal: r2(slope, 3), fixed: r2(my - slope * mx, 3) };
    };
    const fitFiles = fit(st.cpu.files);
    const fitStreams = fit(st.cpu.streams);
    if (fitFiles && fitStreams) {
      const overMarginal = r2(((fitStreams.marginal - fitFiles.marginal) / fitFiles.marginal) * 100, 1);
      rows.push(['streams: marginal CPU % per added call (fit over 1..4 calls), files / streams', `${fitFiles.marginal} / ${fitStreams.marginal}`, '-', '',
        'within 10%', overMarginal <= 10 ? `yes (${overMarginal}%)` : `NO (${overMarginal}%)`]);
      rows.push(['streams: fixed CPU % of a core (the fit at 0 calls), files / streams', `${fitFiles.fixed} / ${fitStreams.fixed}`, '-', '', '', '']);
    }
    if (st.wakeFloor) {
      const floorPerCall = r2(st.wakeFloor.mainCpuPct / 4, 3);
      rows.push(['streams: floor, a bare Node 20 ms interval: main thread % of a core (per call at 4)', `${st.wakeFloor.mainCpuPct} (${floorPerCall})`, '-', '',
        '', `files + floor = +${r2((floorPerCall / files) * 100, 1)}%`]);
    }
    const byThread = (runs) => {
      const roles = {};
      for (const x of runs) for (const [role, v] of Object.entries(x.cpuPctPerCallByThread || {})) roles[role] = (roles[role] || 0) + v / runs.length;
      return roles;
    };
    const fileThreads = byThread(st.cpu.files);
    const streamThreads = byThread(st.cpu.streams);
    const nativeThreads = byThread(st.cpu.native);
    for (const role of new Set([...Object.keys(fileThreads), ...Object.keys(streamThreads)])) {
      rows.push([`  of which thread "${role}", files / streams`, `${r2(fileThreads[role] || 0, 3)} / ${r2(streamThreads[role] || 0, 3)}`,
        r2(nativeThreads[role] || 0, 3), '', '', '']);
    }
    if (st.latency) {
      const l = st.latency;
      const budget = 30 + l.frameMs;
      rows.push([`streams: RTP in -> 'data', p50/p99 ms (${l.samples} bursts)`, `${l.rtpToData.p50}/${l.rtpToData.p99}`, '-', '',
        `p99 < ${budget}`, l.rtpToData.p99 < budget ? 'yes' : 'NO']);
      rows.push([`streams: write() -> RTP out, p50/p99 ms (${l.samples} bursts)`, `${l.writeToRtp.p50}/${l.writeToRtp.p99}`, '-', '',
        `p99 < ${budget}`, l.writeToRtp.p99 < budget ? 'yes' : 'NO']);
      const c = st.clock;
      rows.push([`streams: clock thread per 20 ms tick, ${c.pairs} streamed pairs, mean ms`, c.clockMsPerTick, '-', '', '< 20', c.clockMsPerTick < 20 ? 'yes' : 'NO']);
      rows.push([`  frames delivered / expected (${c.seconds} s), dropped`, `${c.framesDelivered}/${c.framesExpected}, ${c.dropped}`, '-', '', 'none lost',
        c.dropped === 0 && c.framesDelivered >= c.framesExpected * 0.99 ? 'yes' : 'NO']);
      rows.push(['  longest gap between audio batches in JS, ms', c.longestBatchGapMs, '-', '', '', '']);
    }
  }
  return table(rows.map((row) => (row.length === 6 ? [...row.slice(0, 3), '', ...row.slice(3)] : row)));
}

// ---- main ----------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-bench-'));
  const recordDir = path.join(workDir, 'rec');
  fs.mkdirSync(recordDir);
  const res = { date: new Date().toISOString(), command: `node bench/run.js${argv.length ? ` ${argv.join(' ')}` : ''}`, machine: machine(), config: CFG };
  log(`machine: ${JSON.stringify(res.machine)}`);
  const built = buildNative();
  nativeBinary = built.binary;
  res.nativeBuild = built.command;
  if (want('cost') || want('rate')) res.python = preparePython();
  try {
    if (want('cost')) {
      res.cost = await phaseCost(workDir);
    }
    if (want('rate')) {
      res.wakeup = await phaseWakeup();
      res.rate = {};
      const maxCalls = CFG.maxOpen;
      res.rate.native = await phaseRate('native', 'native', { maxCalls });
      if (pythonBin) res.rate.python = await phaseRate('pjsua2 Python', 'python', { maxCalls });
      res.rate.sipsterGuardOn = await phaseRate('sipster, admission guard on', 'sipster', { admissionGuard: true, latency: true, maxCalls });
      res.rate.sipsterGuardOff = await phaseRate('sipster, admission guard off', 'sipster', { admissionGuard: false, maxCalls });
      if (LOOP) res.rate.sipsterLoop = await phaseRate('sipster, loop signalling', 'sipster-loop', { admissionGuard: true, latency: true, maxCalls });
    }
    if (want('memory')) {
      res.memory = {};
      res.memory.sipster = await phaseMemory('sipster', recordDir);
      res.memory.native = await phaseMemory('native', recordDir);
    }
    if (want('streams')) {
      res.streams = await phaseStreams(recordDir);
    }
    if (want('media')) {
      res.media = {};
      res.media.sipster = await phaseMedia('sipster', recordDir);
      res.media.native = await phaseMedia('native', recordDir);
    }
  } finally {
    res.leftoverRecordings = fs.readdirSync(recordDir).length;
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(built.dir, { recursive: true, force: true });
  }
  res.totalSeconds = r2((Date.now() - started) / 1000, 1);
  res.machine.loadavgAtEnd = os.loadavg().map((x) => r2(x));
  try {
    res.table = render(res);
  } catch (err) {
    res.table = `(no table: ${err.message})`; // a table that cannot be drawn must not lose the run
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(res, null, 2)}\n`);
  console.log(res.table);
  console.log(`\n${res.command}: ${res.totalSeconds} s; JSON in ${path.relative(process.cwd(), OUT)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
