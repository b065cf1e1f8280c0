'use strict';

// What SIPp runs: a scenario (a name in harness/scenarios/ or a path), its
// keywords and variables, and the command line that says so.
//
// Things about SIPp 3.6.1 that shape this file (see the report in
// harness/scenarios/README.md for more):
// * `-key name value` (generic keywords, used as `[name]` in scenarios) are
//   resolved while the scenario is PARSED, and `-sf` parses it on the spot,
//   so every -key must come before -sf. An unknown `[name]` is a fatal error.
// * `-set name value` writes a <Global variables=...> of the already loaded
//   scenario, so it must come AFTER -sf.
// * Scenarios document their keywords and defaults in their top comment with
//   lines `@key name default`; we read those and pass them (overridable with
//   `keys`), so a test only passes what it wants to change.
// * SIPp always binds its media socket on media_port AND media_port+2 (audio
//   and "video"); see ports.freeRtpPort().

const fs = require('node:fs');
const path = require('node:path');

const { pcapPath } = require('../pcap');

const HOST = '127.0.0.1';
const SCENARIO_DIR = path.join(__dirname, '..', 'scenarios');

/** Absolute path of a scenario: a name in harness/scenarios/ (".xml" optional) or a path. */
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

module.exports = { scenarioPath, buildArgs, SCENARIO_DIR };
