'use strict';

// Port helpers so tests (and test files run side by side by `node --test`)
// never fight over port numbers.
//
// Everything binds to 127.0.0.1 only.  A port is "free" when we could bind it
// for UDP *and* TCP at the same moment (SIP may use either transport on the
// same number).  The sockets are closed before the promise resolves, and the
// program the port is meant for (SIPp, a sipster transport) binds it a little
// later.  In that window another test process could pick the same number:
// its SIPp would then answer our INVITEs (seen once in CI: a call to a
// "200 OK" UAS rang forever, because another file's ring-no-answer UAS held
// the port).  So every port handed out is also reserved across processes, as
// a file in a shared directory that names the owning pid: a live owner's
// reservation is never handed out again; a dead owner's is taken over.
//
// Ports come from RANGE, below the kernel's ephemeral range (32768-60999
// on Linux), so that no port the kernel picks for an outgoing connection or
// a `bind(0)` lands on a reserved one, and above pjsua's and SIPp's default
// RTP ports (4000 and 6000 upwards).

const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HOST = '127.0.0.1';
const MAX_TRIES = 200;
const RANGE = { low: 20000, high: 32000 }; // [low, high)
const RESERVATIONS = path.join(os.tmpdir(), 'sipster-test-ports');

// Ports reserved by this process, released when it exits.
const handedOut = new Set();

process.on('exit', () => {
  for (const port of handedOut) {
    try {
      fs.unlinkSync(path.join(RESERVATIONS, String(port)));
    } catch {
      // already gone
    }
  }
});

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// Claims `port` for this process; false when a live process holds it.
function reserve(port) {
  if (handedOut.has(port)) return false;
  fs.mkdirSync(RESERVATIONS, { recursive: true });
  const file = path.join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      handedOut.add(port);
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const owner = Number(fs.readFileSync(file, 'utf8'));
    // A reservation being written has no pid yet: treat it as live.
    if (!owner || isAlive(owner)) return false;
    try {
      fs.unlinkSync(file); // its owner is gone: take it over
    } catch {
      // someone else took it over first; the next write tells
    }
  }
  return false;
}

function release(port) {
  handedOut.delete(port);
  try {
    fs.unlinkSync(path.join(RESERVATIONS, String(port)));
  } catch {
    // already gone
  }
}

function randomPort(step = 1) {
  const span = Math.floor((RANGE.high - RANGE.low) / step);
  return RANGE.low + step * Math.floor(Math.random() * span);
}

function bindUdp(port) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind({ port, address: HOST, exclusive: true }, () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
  });
}

function bindTcp(port) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port, host: HOST, exclusive: true }, () => {
      srv.removeAllListeners('error');
      resolve(srv);
    });
  });
}

function closeUdp(sock) {
  return new Promise((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

function closeTcp(srv) {
  return new Promise((resolve) => srv.close(() => resolve()));
}

// Tries to bind every port in `ports` for UDP, and for TCP when `tcp` is set.
// Returns true when all binds succeeded; always releases what it bound.
async function tryBindAll(ports, { tcp }) {
  const held = [];
  let ok = true;
  try {
    for (const p of ports) {
      held.push({ kind: 'udp', s: await bindUdp(p) });
      if (tcp) held.push({ kind: 'tcp', s: await bindTcp(p) });
    }
  } catch {
    ok = false;
  } finally {
    await Promise.all(held.map((h) => (h.kind === 'udp' ? closeUdp(h.s) : closeTcp(h.s))));
  }
  return ok;
}

/**
 * A port on 127.0.0.1 that is free for both UDP and TCP, reserved for this
 * process (see the top of this file).
 * @returns {Promise<number>}
 */
async function freePort() {
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = randomPort();
    if (!reserve(port)) continue;
    if (await tryBindAll([port], { tcp: true })) return port;
    release(port);
  }
  throw new Error(`freePort: no free UDP+TCP port found after ${MAX_TRIES} tries`);
}

/**
 * `n` distinct ports, each free for both UDP and TCP.
 * @param {number} n
 * @returns {Promise<number[]>}
 */
async function freePorts(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await freePort());
  return out;
}

/**
 * An even port p such that p .. p+3 are free for UDP: p is RTP and p+1 RTCP
 * (RTP convention wants p even); SIPp (`-mp p`) also always binds p+2 for its
 * "video" socket and fails hard if it cannot, so p+2 and p+3 are checked and
 * reserved too.
 * @returns {Promise<number>}
 */
async function freeRtpPort() {
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = randomPort(4);
    const group = [port, port + 1, port + 2, port + 3];
    const reserved = [];
    for (const p of group) {
      if (!reserve(p)) break;
      reserved.push(p);
    }
    if (reserved.length === group.length && (await tryBindAll(group, { tcp: false }))) return port;
    reserved.forEach(release);
  }
  throw new Error(`freeRtpPort: no free even UDP port group found after ${MAX_TRIES} tries`);
}

/**
 * Binds a UDP socket on 127.0.0.1:port as soon as the port is free again
 * (e.g. once a killed SIPp let go of it) and records every datagram, to
 * catch what sipster still sends to a vanished peer (and to keep the kernel
 * from answering with ICMP). Resolves to { messages: [{ at, method, text }], close() }.
 */
async function silentUdpListener(port, { attempts = 100 } = {}) {
  const sock = dgram.createSocket('udp4');
  const messages = [];
  sock.on('message', (buf) => {
    const text = buf.toString('latin1');
    messages.push({ at: Date.now(), method: text.split(' ')[0], text });
  });
  for (let i = 0; i < attempts; i++) {
    try {
      await new Promise((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, '127.0.0.1', () => {
          sock.removeListener('error', reject);
          resolve();
        });
      });
      return { messages, close: () => new Promise((r) => sock.close(r)) };
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  sock.close();
  throw new Error(`could not bind ${port}`);
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

module.exports = { freePort, freePorts, freeRtpPort, silentUdpListener, holdsUdpPort, waitUdpBound };
