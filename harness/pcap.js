'use strict';

// The pcaps Debian's sip-tester ships (G.711, RFC 2833 DTMF), for SIPp's
// play_pcap_audio: where they are, and how long one plays.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

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

module.exports = { pcapDir, pcapPath, pcapDurationMs };
