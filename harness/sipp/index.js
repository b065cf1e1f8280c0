'use strict';

// SIPp (Debian package `sip-tester`, binary `sipp`, v3.6.1) as a peer for
// the tests and the benchmark: run a scenario to completion (runSipp), or
// start one as a server and stop it later (startSipp). command.js builds
// what SIPp runs, outcome.js reads what it left. Its message trace is read
// with __test__/helpers/sip-trace.js; sip-tester's pcaps are found with
// ../pcap.js.
//
// About SIPp 3.6.1's process:
// * Without a TTY and with -nostdin, SIPp prints its screens to stdout when it
//   exits (we parse the "Successful call"/"Failed call" counters from there).
// * SIGTERM/SIGINT make SIPp exit "normally": code 0 unless some call failed,
//   even if calls were still running. Every trace file is fflush()ed per
//   write, so even a SIGKILLed SIPp leaves a complete message trace.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { waitUdpBound } = require('../ports');
const { buildArgs, scenarioPath, SCENARIO_DIR } = require('./command');
const { EXIT, readIfExists, parseStats, describe } = require('./outcome');

const SIPP = process.env.SIPP_BIN || 'sipp';

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

/**
 * Runs a SIPp scenario in the foreground until it exits.
 *
 * @param {object} opts
 * @param {string} opts.scenario file name in harness/scenarios/ or absolute path
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
