'use strict';

// A SIP peer made of one UDP socket of the test, for requests that no SIP
// tool here builds from a live dialog (an INVITE with Replaces naming the
// dialog's tags). It keeps what it receives, parsed, and answers every
// request 200 (a BYE, a NOTIFY) so that its dialogs end cleanly.

const dgram = require('node:dgram');

const { parseSipMessage, header } = require('./sip-trace');

const HOST = '127.0.0.1';
const ECHOED = [['via', 'Via'], ['from', 'From'], ['to', 'To'], ['call-id', 'Call-ID'], ['cseq', 'CSeq']];

function okTo(request) {
  const lines = ['SIP/2.0 200 OK'];
  for (const [name, display] of ECHOED) {
    for (const value of request.headers[name] || []) lines.push(`${display}: ${value}`);
  }
  return [...lines, 'Content-Length: 0', '', ''].join('\r\n');
}

async function rawSipPeer() {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => sock.bind({ port: 0, address: HOST }, resolve));
  const received = [];
  const waiters = new Set();
  sock.on('message', (buf, rinfo) => {
    const msg = parseSipMessage(buf.toString('utf8'));
    received.push(msg);
    if (msg.method && msg.method !== 'ACK') sock.send(okTo(msg), rinfo.port, rinfo.address);
    for (const wake of waiters) wake();
  });
  return {
    port: sock.address().port,
    received,
    send(text, port) {
      sock.send(text, port, HOST);
    },
    // The first message received (so far or later) that `predicate` accepts.
    waitFor(predicate, limitMs = 5000, what = 'a message') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`raw SIP peer: no ${what} within ${limitMs} ms`));
        }, limitMs);
        if (!check()) waiters.add(check);
      });
    },
    close() {
      sock.close();
    },
  };
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

// An INVITE from `peer` to sipster at `sipPort` that replaces the dialog
// `replaces` ({ callId, toTag, fromTag } as sipster's side sees it: toTag is
// sipster's tag), and the ACK of its final response.
function inviteWithReplaces(peer, sipPort, replaces, extraHeaders = []) {
  const common = [
    `Via: SIP/2.0/UDP ${HOST}:${peer.port};branch=z9hG4bK-replaces-${process.pid}-${peer.port};rport`,
    'Max-Forwards: 70',
    `From: <sip:transferee@${HOST}:${peer.port}>;tag=transferee-${peer.port}`,
    `To: <sip:ivr@${HOST}:${sipPort}>`,
    `Call-ID: replaces-${process.pid}-${peer.port}@${HOST}`,
  ];
  const text = [
    `INVITE sip:ivr@${HOST}:${sipPort} SIP/2.0`,
    ...common,
    'CSeq: 1 INVITE',
    `Contact: <sip:transferee@${HOST}:${peer.port}>`,
    `Replaces: ${replaces.callId};to-tag=${replaces.toTag};from-tag=${replaces.fromTag}`,
    ...extraHeaders,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
  // A 2xx is ACKed in a transaction of its own (new branch, to the
  // Contact), a non-2xx in the INVITE's (RFC 3261 17.1.1.3).
  const ack = (res) => {
    const via = res.status < 300 ? common[0].replace('branch=', 'branch=z9hG4bK-ack-') : common[0];
    return [
      `ACK sip:ivr@${HOST}:${sipPort} SIP/2.0`,
      via,
      ...common.slice(1, 3),
      `To: ${header(res, 'to')}`,
      common[4],
      'CSeq: 1 ACK',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  };
  return { text, ack };
}

module.exports = { rawSipPeer, inviteWithReplaces };
