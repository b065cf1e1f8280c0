'use strict';

// Thin wrapper around SIPp (Debian package `sip-tester`, binary `sipp`,
// v3.6.1) for the integration tests: run a scenario to completion
// (runSipp), or start one as a server and stop it later (startSipp), and
// parse SIPp's message trace so tests can assert on the exact SIP traffic.
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

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

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

let pcapDirCache = null;

// Where Debian's sip-tester puts its pcaps (/usr/share/sip-tester today),
// found through dpkg so a packaging change does not break us.
function pcapDir() {
  if (pcapDirCache) return pcapDirCache;
  let dir = '/usr/share/sip-tester';
  try {
    const files = execFileSync('dpkg', ['-L', 'sip-tester'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.endsWith('.pcap'));
    if (files.length) dir = path.dirname(files[0]);
  } catch {
    // dpkg missing or package not installed: keep the default
  }
  pcapDirCache = dir;
  return dir;
}

/**
 * Absolute path of one of the pcaps shipped by sip-tester, e.g.
 * pcapPath('g711a.pcap'), pcapPath('dtmf_2833_1.pcap'). Absolute paths are
 * returned as they are.
 */
function pcapPath(name) {
  return path.isAbsolute(name) ? name : path.join(pcapDir(), name);
}

/**
 * Duration of a pcap capture in ms (last packet time - first packet time),
 * e.g. to size the pause that follows a play_pcap_audio.
 */
function pcapDurationMs(file) {
  const buf = fs.readFileSync(pcapPath(file));
  const magicLE = buf.readUInt32LE(0);
  let le;
  let nanos = false;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) le = true;
  else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) le = false;
  else throw new Error(`pcapDurationMs: ${file} is not a classic pcap file`);
  const magic = le ? magicLE : buf.readUInt32BE(0);
  if (magic === 0xa1b23c4d) nanos = true;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  let off = 24;
  let first = null;
  let last = null;
  while (off + 16 <= buf.length) {
    const t = u32(off) * 1000 + u32(off + 4) / (nanos ? 1e6 : 1e3);
    if (first === null) first = t;
    last = t;
    off += 16 + u32(off + 8);
  }
  return first === null ? 0 : Math.round(last - first);
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

// Inodes of the IPv4 UDP sockets bound to 127.0.0.1:port (or 0.0.0.0:port).
function udpSocketInodes(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const local = new Set([`0100007F:${hexPort}`, `00000000:${hexPort}`]);
  return fs.readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => local.has(fields[1]))
    .map((fields) => fields[9]);
}

// Whether process `pid` holds a UDP socket bound to 127.0.0.1:port.
function holdsUdpPort(pid, port) {
  const wanted = new Set(udpSocketInodes(port).map((inode) => `socket:[${inode}]`));
  if (!wanted.size) return false;
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone
  }
  return fds.some((fd) => {
    try {
      return wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

// Resolves once SIPp itself holds its SIP socket on 127.0.0.1:port. The
// owner is checked, not just that the port is taken: should another process
// have bound the port first, our INVITEs would go to that process.
function waitUdpBound(port, child, limitMs) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error('sipp exited before it was listening'));
      } else if (holdsUdpPort(child.pid, port)) {
        resolve();
      } else if (Date.now() - start > limitMs) {
        reject(new Error(`sipp not listening on ${port} after ${limitMs} ms`));
      } else {
        setTimeout(attempt, 20);
      }
    };
    attempt();
  });
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

// ---------------------------------------------------------------------------
// Message trace parsing
// ---------------------------------------------------------------------------

// Compact header forms (RFC 3261 7.3.3 and extensions) -> full names.
const COMPACT = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length',
  c: 'content-type', f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via',
  r: 'refer-to', b: 'referred-by', o: 'event', u: 'allow-events', x: 'session-expires',
};

/**
 * Parses one raw SIP message.
 * @returns {{startLine:string, method?:string, uri?:string, status?:number,
 *   reason?:string, headers:Object<string,string[]>, body:string,
 *   cseqMethod?:string}}
 */
function parseSipMessage(raw) {
  let sep = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep < 0) {
    sep = raw.indexOf('\n\n');
    sepLen = 2;
  }
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep + sepLen);
  const lines = head.split(/\r?\n/);
  while (lines.length && lines[0].trim() === '') lines.shift();
  const startLine = (lines.shift() || '').trim();
  const headers = {};
  let last = null;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      // folded continuation line
      const vals = headers[last];
      vals[vals.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    let name = line.slice(0, i).trim().toLowerCase();
    name = COMPACT[name] || name;
    (headers[name] ||= []).push(line.slice(i + 1).trim());
    last = name;
  }
  const msg = { startLine, headers, body };
  let m;
  if ((m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(startLine))) {
    msg.status = Number(m[1]);
    msg.reason = m[2];
  } else if ((m = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(startLine))) {
    msg.method = m[1].toUpperCase();
    msg.uri = m[2];
  }
  const cseq = headers.cseq && /^\s*(\d+)\s+(\S+)/.exec(headers.cseq[0]);
  if (cseq) {
    msg.cseq = Number(cseq[1]);
    msg.cseqMethod = cseq[2].toUpperCase();
  }
  return msg;
}

const SEPARATOR = /^-{47}(?: (.*))?$/gm;

/**
 * Parses a SIPp -trace_msg file into the messages SIPp sent and received, in
 * order. Other trace entries ("Unexpected ... message received", "Dead call
 * ...", which repeat a message already logged as received) are skipped.
 *
 * @param {string} text
 * @returns {Array<{direction:'sent'|'received', transport:string, time:string,
 *   startLine:string, method?:string, uri?:string, status?:number, reason?:string,
 *   cseq?:number, cseqMethod?:string, headers:Object<string,string[]>,
 *   body:string, raw:string}>}
 *   headers: lowercased full names (compact forms expanded) -> values in order.
 */
function parseMessages(text) {
  const out = [];
  const marks = [];
  let m;
  SEPARATOR.lastIndex = 0;
  while ((m = SEPARATOR.exec(text))) marks.push({ at: m.index, end: m.index + m[0].length, time: m[1] || '' });
  for (let k = 0; k < marks.length; k++) {
    // block = "\n<description line>\n\n<message>\n" up to the next separator
    const block = text.slice(marks[k].end + 1, k + 1 < marks.length ? marks[k + 1].at : text.length);
    const nl = block.indexOf('\n');
    if (nl < 0) continue;
    const desc = block.slice(0, nl);
    const d = /^(\S+) message (received|sent)\b/.exec(desc);
    if (!d) continue;
    let raw = block.slice(nl + 1);
    if (raw.startsWith('\n')) raw = raw.slice(1);
    if (raw.endsWith('\n')) raw = raw.slice(0, -1); // SIPp's own "\n" after the message
    out.push({ direction: d[2], transport: d[1], time: marks[k].time, ...parseSipMessage(raw), raw });
  }
  return out;
}

/**
 * Filters parsed messages: findMessages(msgs, { direction: 'received', method: 'INVITE' }),
 * { status: 200, cseqMethod: 'BYE' }, ... Every given criterion must match.
 */
function findMessages(messages, criteria = {}) {
  return messages.filter((msg) => Object.entries(criteria).every(([k, v]) => msg[k] === v));
}

/** First value of a header (case-insensitive name, compact forms accepted), or undefined. */
function header(msg, name) {
  const n = name.toLowerCase();
  const vals = msg.headers[COMPACT[n] || n];
  return vals ? vals[0] : undefined;
}

module.exports = {
  runSipp,
  startSipp,
  parseMessages,
  parseSipMessage,
  findMessages,
  header,
  scenarioPath,
  pcapPath,
  pcapDurationMs,
  buildArgs,
  EXIT,
  SCENARIO_DIR,
};
