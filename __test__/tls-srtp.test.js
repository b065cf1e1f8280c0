'use strict';

// A call over TLS with mandatory SRTP between two sipster processes, with a
// certificate this test makes with openssl: the call's statistics show
// SRTP active on both sides, and a capture of the TLS port holds TLS
// records and no clear-text SIP.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { startPeer } = require('./helpers/peer');
const { record, CALL_EVENTS } = require('./helpers/events');
const { LOOPBACK_MEDIA } = require('./helpers/loopback');

let dir;
let tls;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-tls-'));
  tls = { certFile: path.join(dir, 'cert.pem'), privKeyFile: path.join(dir, 'key.pem') };
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', tls.privKeyFile, '-out', tls.certFile,
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
  sipster.start();
});

after(() => {
  sipster.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

// SRTP required for every call of the account, and TLS on the SIP hop.
const SECURE_MEDIA = {
  ...LOOPBACK_MEDIA,
  srtpUse: sipster.constants.PJMEDIA_SRTP_MANDATORY,
  srtpSecureSignaling: 1,
};

// Captures the loopback traffic of `filter` into a pcapng file until
// stop(). The kernel hands packets to tshark in blocks, late: the capture
// counts as started once a probe datagram of ours shows up in tshark's
// output, and as complete once a last, longer probe does.
async function capture(filter) {
  const file = path.join(dir, `capture-${Date.now()}.pcapng`);
  const probePort = await freePort();
  const child = spawn('tshark', ['-i', 'lo', '-f', `(${filter}) or udp port ${probePort}`, '-w', file, '-P', '-l'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stdout += d));
  const probe = dgram.createSocket('udp4');
  // Sends `payload` until tshark shows a datagram of its length.
  const probeUntilSeen = (payload) => new Promise((resolve, reject) => {
    const seen = new RegExp(`${probePort} Len=${payload.length}\\b`);
    const timer = setTimeout(() => done(new Error(`tshark did not show the probe within 10 s: ${stderr}`)), 10000);
    const probing = setInterval(() => {
      if (seen.test(stdout)) return done();
      probe.send(payload, probePort, '127.0.0.1');
    }, 50);
    const onExit = (code) => done(new Error(`tshark exited (${code}): ${stderr}`));
    child.once('exit', onExit);
    function done(err) {
      clearTimeout(timer);
      clearInterval(probing);
      child.removeListener('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
  });
  await probeUntilSeen('start');
  return {
    async stop() {
      await probeUntilSeen('the end of the capture');
      probe.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      return fs.readFileSync(file);
    },
  };
}

test('a TLS call with mandatory SRTP between two sipster processes: SRTP active, no clear-text SIP on the wire', { timeout: 60000 }, async () => {
  const peer = await startPeer();
  const tlsPort = await freePort();
  const sniffer = await capture(`tcp port ${tlsPort}`);
  let account;
  let transport;
  let wire;
  try {
    await peer.run(({ sipster, state, emit }, port, tlsConfig, mediaConfig) => {
      sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
      state.transport = new sipster.Transport({ port, boundAddress: '127.0.0.1', tlsConfig }, 'tls');
      state.account = new sipster.Account({ idUri: `sip:secure@127.0.0.1:${port};transport=tls`, mediaConfig });
      state.account.on('call', (info, call) => {
        state.call = call;
        call.on('confirmed', () => emit('confirmed'));
        call.on('media', () => emit('media', { stats: call.getStatsDump(true) }));
        call.on('disconnected', () => emit('disconnected'));
        call.answer();
      });
      sipster.start();
    }, tlsPort, tls, SECURE_MEDIA);

    transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1', tlsConfig: tls }, 'tls');
    account = new sipster.Account({ idUri: 'sip:caller@127.0.0.1;transport=tls', mediaConfig: SECURE_MEDIA });
    const call = account.makeCall(`sip:secure@127.0.0.1:${tlsPort};transport=tls`);
    const events = record(call, CALL_EVENTS);
    await events.waitFor('confirmed');
    await peer.waitFor('confirmed');
    await events.waitFor('media');

    // Both ends report SRTP in use on the call's audio.
    const ours = call.getStatsDump(true);
    assert.match(ours, /SRTP status: Active Crypto-suite: \S+/, ours);
    const { stats } = await peer.waitFor('media');
    assert.match(stats, /SRTP status: Active Crypto-suite: \S+/, stats);
    call.hangup();
    await events.waitFor('disconnected');
    await peer.waitFor('disconnected');
  } finally {
    account?.delete();
    transport?.close();
    await peer.stop();
    wire = await sniffer.stop();
  }

  // The SIP port carried TLS records (handshake, then application data)
  // and never a SIP message in the clear.
  assert.ok(wire.includes(Buffer.from([0x16, 0x03])), 'no TLS handshake record in the capture');
  assert.ok(wire.includes(Buffer.from([0x17, 0x03, 0x03])), 'no TLS application data in the capture');
  for (const clear of ['SIP/2.0', 'INVITE sip:', 'Call-ID:', 'RTP/SAVP']) {
    assert.equal(wire.includes(Buffer.from(clear)), false, `clear text on the TLS port: ${clear}`);
  }
});
