'use strict';

// Transports bound to 127.0.0.1 on free ports, probed on the wire by SIPp.

const test = require('node:test');
const assert = require('node:assert/strict');

const sipster = require('..');
const { freePort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { parseMessages } = require('./helpers/sip-trace');

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
sipster.start();

async function options(port, { tcp = false } = {}) {
  const result = await runSipp({
    scenario: 'options.xml',
    remote: `127.0.0.1:${port}`,
    localPort: await freePort(),
    extraArgs: tcp ? ['-t', 't1'] : [],
    timeoutMs: 15000,
  });
  const replies = parseMessages(result.messages).filter((m) => m.direction === 'received');
  return { code: result.code, replies };
}

test('a UDP transport answers OPTIONS, reports its address, and goes quiet when disabled', async () => {
  const port = await freePort();
  const udp = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
  try {
    const info = udp.getInfo();
    assert.equal(info.type, 'UDP');
    assert.equal(info.localAddress, `127.0.0.1:${port}`);
    assert.equal(info.localName, `127.0.0.1:${port}`);
    assert.equal(info.flags & sipster.PJSIP_TRANSPORT_DATAGRAM, sipster.PJSIP_TRANSPORT_DATAGRAM);
    assert.equal(udp.enabled, true);

    const answered = await options(port);
    assert.equal(answered.code, 0, 'SIPp expected a 200 to its OPTIONS');
    assert.equal(answered.replies.length, 1);
    assert.equal(answered.replies[0].status, 200);

    udp.disable();
    assert.equal(udp.enabled, false);
    const silent = await options(port);
    assert.notEqual(silent.code, 0, 'a disabled transport must not answer');
    assert.equal(silent.replies.length, 0);

    udp.enable();
    assert.equal(udp.enabled, true);
    const again = await options(port);
    assert.equal(again.code, 0);
  } finally {
    udp.close();
  }
});

test('a TCP transport answers OPTIONS over TCP', async () => {
  const port = await freePort();
  const tcp = new sipster.Transport({ port, boundAddress: '127.0.0.1' }, 'tcp');
  try {
    const info = tcp.getInfo();
    assert.equal(info.type, 'TCP');
    assert.equal(info.localAddress, `127.0.0.1:${port}`);
    assert.equal(info.flags & sipster.PJSIP_TRANSPORT_RELIABLE, sipster.PJSIP_TRANSPORT_RELIABLE);
    const answered = await options(port, { tcp: true });
    assert.equal(answered.code, 0, 'SIPp expected a 200 to its OPTIONS over TCP');
    assert.equal(answered.replies[0].status, 200);
    assert.match(answered.replies[0].headers.via[0], /SIP\/2\.0\/TCP/);
  } finally {
    tcp.close();
  }
});

test('an IPv6 UDP transport binds ::1', () => {
  const udp6 = new sipster.Transport({ port: 0, boundAddress: '::1' }, 'udp6');
  try {
    const info = udp6.getInfo();
    // pjsip names the type UDP for both families; the address tells them apart.
    assert.equal(info.type, 'UDP');
    assert.match(info.localAddress, /^\[::1\]:\d+$/);
  } finally {
    udp6.close();
  }
});

test('a port in use is refused with the pjsip status', async () => {
  const port = await freePort();
  const first = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
  try {
    assert.throws(() => new sipster.Transport({ port, boundAddress: '127.0.0.1' }), (err) => {
      assert.equal(err.code, 'ERR_PJSIP');
      assert.equal(typeof err.status, 'number');
      assert.ok(err.status > 0);
      assert.match(err.message, /^new Transport: /);
      return true;
    });
  } finally {
    first.close();
  }
});
