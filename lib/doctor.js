'use strict';

// `npx sipster doctor`: what a user should know about the pjproject in use
// before going live, and the config_site.h line to change when its stock
// limits would bite a server. See docs/pjproject.md for the server build.

const { execFileSync } = require('node:child_process');

// What a server needs at least; pjproject's stock build has 4 calls and a
// select ioqueue of 64 sockets.
const SERVER_CALLS = 64;
const CONFIG_SITE = 'pjlib/include/pj/config_site.h';

// The soft limit of open files, as a shell started from here sees it.
function openFileLimit() {
  try {
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out === 'unlimited' ? Infinity : Number(out) || null;
  } catch {
    return null;
  }
}

function warningsFor({ version, build, openFiles }) {
  const warnings = [];
  const define = (line) => `add "${line}" to ${CONFIG_SITE} and rebuild pjproject`;
  if (version !== build.builtAgainst) {
    warnings.push(`sipster was compiled against pjproject ${build.builtAgainst} but loads ${version}: rebuild it (npm rebuild sipster)`);
  }
  if (build.maxCalls < SERVER_CALLS) {
    warnings.push(`pjproject allows ${build.maxCalls} calls at once (PJSUA_MAX_CALLS): ${define('#define PJSUA_MAX_CALLS 1024')}, then raise uaConfig.maxCalls`);
  }
  // Each call's audio holds 2 sockets (RTP, RTCP), and a closed one is
  // recycled only after a delay, so turnover needs headroom.
  const handlesNeeded = 4 * Math.max(build.maxCalls, SERVER_CALLS) + 64;
  if (build.ioqueue === 'select' && build.ioqueueMaxHandles <= 1024) {
    warnings.push(`the select ioqueue watches at most ${build.ioqueueMaxHandles} sockets (2 per call) and aborts the process when calls turn over faster than it recycles them: configure pjproject with --enable-epoll and ${define(`#define PJ_IOQUEUE_MAX_HANDLES ${Math.max(handlesNeeded, 8192)}`)}`);
  } else if (build.ioqueueMaxHandles < handlesNeeded) {
    warnings.push(`the ioqueue watches at most ${build.ioqueueMaxHandles} sockets, short of ${handlesNeeded} for ${build.maxCalls} calls turning over: ${define(`#define PJ_IOQUEUE_MAX_HANDLES ${handlesNeeded}`)}`);
  }
  if (build.maxMediaPorts < 2 * build.maxCalls) {
    warnings.push(`the conference bridge has ${build.maxMediaPorts} ports (PJSUA_MAX_CONF_PORTS) for ${build.maxCalls} calls, each of which takes one, plus players, recorders and streams: ${define('#define PJSUA_MAX_CONF_PORTS (2 * PJSUA_MAX_CALLS + 64)')}`);
  }
  if (openFiles && openFiles < build.ioqueueMaxHandles) {
    warnings.push(`this process may open ${openFiles} files (ulimit -n) while the ioqueue can take ${build.ioqueueMaxHandles} sockets: raise the limit (ulimit -n ${build.ioqueueMaxHandles * 2}, or LimitNOFILE= in a systemd unit)`);
  }
  if (!build.tls) {
    warnings.push('pjproject was built without TLS: install OpenSSL\'s headers (libssl-dev, openssl-devel) and run pjproject\'s ./configure again');
  }
  if (!build.srtp) {
    warnings.push(`pjproject was built without SRTP: ${define('#define PJMEDIA_HAS_SRTP 1')}`);
  }
  return warnings;
}

// The report as one object (what --json prints).
function diagnose(sipster) {
  const { build } = sipster;
  let codecs = [];
  let initError = null;
  try {
    sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { handleSignals: false });
    codecs = sipster.codecs;
  } catch (err) {
    initError = err.message;
  } finally {
    try {
      sipster.shutdown();
    } catch {
      // never started
    }
  }
  const version = sipster.version.full;
  const warnings = warningsFor({ version, build, openFiles: openFileLimit() });
  if (initError) warnings.unshift(`the library would not start: ${initError}`);
  return {
    pjproject: { version, builtAgainst: build.builtAgainst },
    limits: {
      maxCalls: build.maxCalls,
      maxMediaPorts: build.maxMediaPorts,
      ioqueue: build.ioqueue,
      ioqueueMaxHandles: build.ioqueueMaxHandles,
    },
    tls: build.tls,
    srtp: build.srtp,
    codecs,
    warnings,
  };
}

// The report in words.
function describe(report) {
  const { pjproject, limits, tls, srtp, codecs, warnings } = report;
  const yes = (flag) => (flag ? 'yes' : 'no');
  const lines = [
    `pjproject ${pjproject.version} (sipster compiled against ${pjproject.builtAgainst})`,
    `calls at once:   ${limits.maxCalls} (PJSUA_MAX_CALLS)`,
    `bridge ports:    ${limits.maxMediaPorts} (PJSUA_MAX_CONF_PORTS)`,
    `ioqueue:         ${limits.ioqueue}, ${limits.ioqueueMaxHandles} sockets (PJ_IOQUEUE_MAX_HANDLES)`,
    `TLS: ${yes(tls)}   SRTP: ${yes(srtp)}`,
    `codecs:          ${codecs.filter((c) => c.priority > 0).map((c) => c.id).join(', ') || 'none'}`,
  ];
  if (warnings.length === 0) {
    lines.push('', 'No warnings: this build is fit for a server.');
  } else {
    lines.push('', `${warnings.length} warning${warnings.length > 1 ? 's' : ''}:`);
    for (const warning of warnings) lines.push(`- ${warning}`);
  }
  return lines.join('\n');
}

module.exports = { diagnose, describe, warningsFor };
