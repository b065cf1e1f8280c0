'use strict';

// What SIPp left behind when it exited: its exit code, the counters of its
// last statistics screen, its message and error traces, and a description
// of all that for a failed assertion.

const fs = require('node:fs');

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

function describe(result) {
  const tail = (s, n = 2000) => (s.length > n ? `...${s.slice(-n)}` : s);
  return (
    `sipp ${result.args.join(' ')}\n` +
    `exit code ${result.code} signal ${result.signal}\n` +
    `stderr: ${tail(result.stderr)}\nerrors: ${tail(result.errors)}`
  );
}

module.exports = { EXIT, readIfExists, parseStats, describe };
