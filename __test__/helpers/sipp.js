'use strict';

// Thin wrapper around SIPp (Debian package `sip-tester`, binary `sipp`,
// v3.6.1) for the integration tests: run a scenario to completion
// (runSipp), or start one as a server and stop it later (startSipp). Its
// message trace is read with sip-trace.js; sip-tester's pcaps are found
// with pcap.js.
//
// Things about SIPp 3.6.1 that shape this file (see the report in
// __test__/scenarios/README.md for more):
// * `-key name value` (generic keywords, used as `[name]` in scenarios) are
//   resolved while the scenario is PARSED, and `-sf` parses it on the spot,
//   so every -key must come before -sf. An unknown `[name]` is a fatal error.
// * `-set name value` writes a <Global variables=...> of the already loaded
//   scenario, so it must come AFTER -sf.
// * Scenarios document their keywords and defaults in their top comment with
//   lines `@key name default`; we read those and pass them (overridable with
//   `keys`), so a test only passes what it wants to change.
// * Without a TTY and with -nostdin, SIPp prints its screens to stdout when it
//   exits (we parse the "Successful call"/"Failed call" counters from there).
// * SIGTERM/SIGINT make SIPp exit "normally": code 0 unless some call failed,
//   even if calls were still running. Every trace file is fflush()ed per
//   write, so even a SIGKILLed SIPp leaves a complete message trace.
// * SIPp always binds its media socket on media_port AND media_port+2 (audio
//   and "video"); see ports.freeRtpPort().

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { pcapPath } = require('./pcap');
const { waitUdpBound } = require('./ports');

const SIPP = process.env.SIPP_BIN || 'sipp';
const HOST = '127.0.0.1';
const SCENARIO_DIR = path.join(__dirname, '..', 'scenarios');

/** SIPp exit codes (`sipp -h`, include/defines.h). */
const EXIT = {
  OK: 0, // all calls successful
  FAILED: 1, // at least one call failed
  INTERNAL: 97, // exit on internal command / global timeout with no successful call
  UNKNOWN: 98,
  NO_CALLS: 99, // normal exit without calls processed
  FATAL: 255, // exit(-1): some fatal errors. NB: errors while loading the
  // scenario (bad XML, missing -key, ...) exit with 1 like a failed call: check stderr
  BIND: 254, // exit(-2): could not bind a socket (SIP port or -mp media port busy)
};

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/** Absolute path of a scenario: a name in __test__/scenarios/ (".xml" optional) or a path. */
function scenarioPath(scenario) {
  if (path.isAbsolute(scenario)) return scenario;
  const p = path.join(SCENARIO_DIR, scenario);
  if (!fs.existsSync(p) && fs.existsSync(`${p}.xml`)) return `${p}.xml`;
  return p;
}

// Reads `@key name value` lines from the scenario's comments: the keywords
// it uses and their defaults.
function scenarioKeyDefaults(file) {
  const keys = {};
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return keys;
  }
  for (const m of text.matchAll(/^\s*@key\s+(\S+)\s+(.*?)\s*$/gm)) keys[m[1]] = m[2];
  return keys;
}

// A keyword value naming a pcap without a directory ("g711a.pcap") is taken
// as one of sip-tester's pcaps.
function resolveKeyValue(value) {
  const v = String(value);
  return v.endsWith('.pcap') && !v.includes('/') ? pcapPath(v) : v;
}

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

/**
 * Builds the sipp command line. Exported for debugging / logging.
 * @returns {{args: string[], messageFile: string, errorFile: string, dir: string}}
 */
function buildArgs(opts, dir) {
  const {
    scenario,
    remote,
    localPort,
    mediaPort,
    calls = 1,
    rate,
    duration = 1000,
    service,
    auth,
    keys = {},
    vars = {},
    extraArgs = [],
  } = opts;
  if (!scenario) throw new Error('sipp: `scenario` is required');
  if (!localPort) throw new Error('sipp: `localPort` is required (use ports.freePort())');
  const file = scenarioPath(scenario);
  if (!fs.existsSync(file)) throw new Error(`sipp: scenario not found: ${file}`);

  // `replace`: textual edits of the scenario (for what SIPp cannot take as a
  // -key, e.g. a response code: it is parsed at load time, before keyword
  // substitution). The edited copy lives in the run's temp dir.
  let sf = file;
  if (opts.replace && Object.keys(opts.replace).length) {
    let text = fs.readFileSync(file, 'utf8');
    for (const [from, to] of Object.entries(opts.replace)) {
      if (!text.includes(from)) throw new Error(`sipp: "${from}" not found in ${file}`);
      text = text.split(from).join(to);
    }
    sf = path.join(dir, path.basename(file));
    fs.writeFileSync(sf, text);
  }

  const messageFile = path.join(dir, 'messages.log');
  const errorFile = path.join(dir, 'errors.log');
  const args = [];
  if (remote) args.push(remote);

  // -key before -sf (resolved at parse time), -set after it (see top).
  const allKeys = { ...scenarioKeyDefaults(file), ...keys };
  for (const [k, v] of Object.entries(allKeys)) args.push('-key', k, resolveKeyValue(v));
  args.push('-sf', sf);
  for (const [k, v] of Object.entries(vars)) args.push('-set', k, String(v));

  args.push(
    '-i', HOST, // address written in Via/Contact/From ([local_ip])
    '-bind_local', // listen on 127.0.0.1 only, not on every interface
    '-p', String(localPort),
    '-mi', HOST, // media address ([media_ip]) and where RTP sockets bind
    '-m', String(calls),
    '-d', String(duration), // length of <pause/> without milliseconds
    '-nostdin',
    '-trace_msg', '-message_file', messageFile,
    '-trace_err', '-error_file', errorFile,
  );
  // Without -mp SIPp tries 6000, 6002, ... until one binds, which is fine for
  // signalling-only scenarios.
  if (mediaPort) args.push('-mp', String(mediaPort));
  if (rate) args.push('-r', String(rate));
  if (service) args.push('-s', String(service));
  // credentials for the [authentication] keyword (after a 401/407 recv auth="true")
  if (auth?.user) args.push('-au', String(auth.user));
  if (auth?.password !== undefined) args.push('-ap', String(auth.password));
  args.push(...extraArgs);
  return { args, messageFile, errorFile, dir };
}

function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// Cumulative counters of SIPp's final statistics screen.
function parseStats(stdout) {
  const grab = (name) => {
    const re = new RegExp(`^\\s*${name}\\s*\\|\\s*\\d*\\s*\\|\\s*(\\d+)`, 'gm');
    let m;
    let v = null;
    while ((m = re.exec(stdout))) v = Number(m[1]); // last screen wins
    return v;
  };
  return {
    successful: grab('Successful call'),
    failed: grab('Failed call'),
    created: grab('Total Calls created'),
  };
}

// Spawns sipp and wires up the result promise. `timeoutMs` → SIGKILL.
function launch(opts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-sipp-'));
  const built = buildArgs(opts, dir);
  // cwd = our temp dir so any file SIPp decides to write lands there.
  const child = spawn(SIPP, built.args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));

  let timedOut = false;
  let killTimer = null;
  const timeoutMs = opts.timeoutMs ?? 20000;
  if (timeoutMs > 0) {
    killTimer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
  }

  const collect = (code, signal) => {
    const result = {
      code,
      signal,
      timedOut,
      stdout,
      stderr,
      messages: readIfExists(built.messageFile),
      errors: readIfExists(built.errorFile),
      stats: parseStats(stdout),
      args: built.args,
    };
    if (!opts.keepFiles) fs.rmSync(dir, { recursive: true, force: true });
    else result.dir = dir;
    return result;
  };

  const done = new Promise((resolve) => {
    let settled = false;
    const finish = (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      resolve(collect(code, signal));
    };
    // 'close' comes after 'exit' once stdout/stderr are drained.
    child.on('close', (code, signal) => finish(code, signal));
    child.on('error', (err) => {
      stderr += `\nspawn error: ${err.message}`;
      finish(null, null);
    });
  });

  return { child, done, built };
}

function describe(result) {
  const tail = (s, n = 2000) => (s.length > n ? `...${s.slice(-n)}` : s);
  return (
    `sipp ${result.args.join(' ')}\n` +
    `exit code ${result.code} signal ${result.signal}\n` +
    `stderr: ${tail(result.stderr)}\nerrors: ${tail(result.errors)}`
  );
}

/**
 * Runs a SIPp scenario in the foreground until it exits.
 *
 * @param {object} opts
 * @param {string} opts.scenario file name in __test__/scenarios/ or absolute path
 * @param {string} [opts.remote] 'host:port' to send to (UAC scenarios)
 * @param {number} opts.localPort SIP port SIPp listens on (127.0.0.1)
 * @param {number} [opts.mediaPort] RTP port (-mp); needs p and p+2 free
 * @param {number} [opts.calls=1] -m: exit after this many calls
 * @param {number} [opts.rate] -r: calls per second
 * @param {number} [opts.duration=1000] -d: ms of every <pause/> without milliseconds
 * @param {string} [opts.service] -s: user part of the request URI ([service])
 * @param {{user?: string, password?: string}} [opts.auth] -au / -ap: credentials for [authentication]
 * @param {object} [opts.keys] -key name value: [name] keywords (override the scenario's @key defaults)
 * @param {object} [opts.vars] -set name value: <Global> variables [$name]
 * @param {object} [opts.replace] { 'text': 'replacement' } edits of the scenario
 *   text before it is loaded, e.g. uas_busy.xml with
 *   { '486 Busy Here': '480 Temporarily Unavailable' }
 * @param {string[]} [opts.extraArgs] more sipp arguments, appended last
 * @param {number} [opts.timeoutMs=20000] SIGKILL and reject after this long
 * @param {boolean} [opts.keepFiles=false] keep the temp dir (result.dir)
 * @returns {Promise<{code:number, signal:string|null, stdout:string, stderr:string,
 *   messages:string, errors:string, stats:{successful:number|null, failed:number|null,
 *   created:number|null}, args:string[]}>}
 *   Resolves whatever the exit code (check result.code: 0 = all calls OK,
 *   1 = some call failed, see EXIT). Rejects only on timeout (error.result
 *   holds what was collected).
 */
async function runSipp(opts) {
  const { done } = launch(opts);
  const result = await done;
  if (result.timedOut) {
    const err = new Error(`sipp did not finish within ${opts.timeoutMs ?? 20000} ms\n${describe(result)}`);
    err.result = result;
    throw err;
  }
  return result;
}

/**
 * Starts SIPp (typically a UAS / registrar scenario) in the background and
 * resolves once it listens on localPort. Same options as runSipp; timeoutMs
 * (default 60000) is a safety net after which SIPp is SIGKILLed.
 *
 * @returns {Promise<{process: import('node:child_process').ChildProcess,
 *   done: Promise<object>, stop: () => Promise<object>, messages: () => string,
 *   args: string[]}>}
 *   `done` resolves (never rejects) with the same result object as runSipp
 *   when SIPp exits by itself (e.g. after `calls` calls) or is stopped;
 *   result.timedOut tells if the safety net fired.
 *   `stop()` sends SIGTERM, then SIGKILL after 3 s, and resolves with the
 *   result; calling it after SIPp exited just returns the result.
 *   `messages()` returns the message trace written so far (while running).
 */
async function startSipp(opts) {
  const { child, done, built } = launch({ timeoutMs: 60000, ...opts });
  const handle = {
    process: child,
    done,
    args: built.args,
    messages: () => readIfExists(built.messageFile),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        const r = await done;
        clearTimeout(t);
        return r;
      }
      return done;
    },
  };
  try {
    await waitUdpBound(opts.localPort, child, 5000);
  } catch (e) {
    const r = await handle.stop();
    const err = new Error(`startSipp: ${e.message}\n${describe(r)}`);
    err.result = r;
    throw err;
  }
  return handle;
}

module.exports = {
  runSipp,
  startSipp,
  scenarioPath,
  buildArgs,
  EXIT,
  SCENARIO_DIR,
};
