'use strict';

// Port helpers so tests (and test files run side by side by `node --test`)
// never fight over fixed port numbers.
//
// Everything binds to 127.0.0.1 only.  A port is "free" when we could bind it
// for UDP *and* TCP at the same moment (SIP may use either transport on the
// same number).  The sockets are closed before the promise resolves, so there
// is an unavoidable small race window with other processes; to make collisions
// between helpers in the *same* process impossible we remember what we handed
// out and never hand it out twice.

const dgram = require('node:dgram');
const net = require('node:net');

const HOST = '127.0.0.1';
const MAX_TRIES = 50;

// Ports already given out by this process (see above).
const handedOut = new Set();

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

// Lets the kernel pick an ephemeral UDP port (port 0) and returns its number.
async function ephemeralUdpPort() {
  const sock = await bindUdp(0);
  const { port } = sock.address();
  await closeUdp(sock);
  return port;
}

/**
 * A port on 127.0.0.1 that is free for both UDP and TCP.
 * @returns {Promise<number>}
 */
async function freePort() {
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = await ephemeralUdpPort();
    if (handedOut.has(port)) continue;
    if (await tryBindAll([port], { tcp: true })) {
      handedOut.add(port);
      return port;
    }
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
    let port = await ephemeralUdpPort();
    if (port % 2 === 1) port -= 1;
    const group = [port, port + 1, port + 2, port + 3];
    if (port < 1024 || port + 3 > 65535 || group.some((p) => handedOut.has(p))) continue;
    if (await tryBindAll(group, { tcp: false })) {
      group.forEach((p) => handedOut.add(p));
      return port;
    }
  }
  throw new Error(`freeRtpPort: no free even UDP port pair found after ${MAX_TRIES} tries`);
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

module.exports = { freePort, freePorts, freeRtpPort, silentUdpListener };
