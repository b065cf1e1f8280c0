'use strict';

// A UDP "RTP sink" on 127.0.0.1 that records every RTP packet it receives, so
// a test can check the audio / DTMF sipster SENDS. Point the remote SDP at it
// with the uas_answer_rtp_sink.xml scenario (keys: { rtp_sink_port: sink.port }).

const dgram = require('node:dgram');
const { freeRtpPort } = require('../../harness/ports');
const { decodeG711 } = require('./audio');

// RFC 2833 / 4733 event codes -> DTMF characters.
const DTMF_CHARS = '0123456789*#ABCD';

/** Parses an RTP packet (RFC 3550); returns null when it is not RTP v2. */
function parseRtp(buf) {
  if (buf.length < 12 || buf[0] >> 6 !== 2) return null;
  const cc = buf[0] & 0x0f;
  const hasExt = (buf[0] & 0x10) !== 0;
  const hasPad = (buf[0] & 0x20) !== 0;
  let off = 12 + cc * 4;
  if (hasExt) {
    if (buf.length < off + 4) return null;
    off += 4 + buf.readUInt16BE(off + 2) * 4;
  }
  let end = buf.length;
  if (hasPad) end -= buf[buf.length - 1];
  if (off > end) return null;
  return {
    marker: (buf[1] & 0x80) !== 0,
    pt: buf[1] & 0x7f,
    seq: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(off, end),
  };
}

/**
 * Starts an RTP sink.
 * @param {{port?: number}} [opts] port to bind (default: ports.freeRtpPort())
 * @returns {Promise<{port: number, packets: object[], samples: (opts?: {pt?: number}) => Float32Array,
 *   dtmf: (opts?: {pt?: number}) => string, close: () => Promise<void>}>}
 *   packets: parsed RTP packets in arrival order (+ `at`: Date.now()).
 *   samples(): the G.711 audio (pt 0 = PCMU, 8 = PCMA; pass pt to choose,
 *     default: the first of those seen) decoded in arrival order, 8 kHz.
 *   dtmf(): digits of the RFC 2833 events (pt: the telephone-event payload
 *     type; default: any dynamic pt 96-127 whose payloads are 4 bytes), one
 *     per event (an event = its timestamp; end-packet retransmits ignored).
 */
async function startRtpSink({ port } = {}) {
  const p = port || (await freeRtpPort());
  const sock = dgram.createSocket('udp4');
  const packets = [];
  sock.on('message', (msg) => {
    const pkt = parseRtp(msg);
    if (pkt) packets.push({ ...pkt, payload: Buffer.from(pkt.payload), at: Date.now() });
  });
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ port: p, address: '127.0.0.1', exclusive: true }, resolve);
  });
  return {
    port: p,
    packets,
    samples({ pt } = {}) {
      const want = pt ?? packets.find((x) => x.pt === 0 || x.pt === 8)?.pt;
      if (want === undefined) return new Float32Array(0);
      const bytes = Buffer.concat(packets.filter((x) => x.pt === want).map((x) => x.payload));
      return decodeG711(bytes, want === 8 ? 'alaw' : 'ulaw');
    },
    dtmf({ pt } = {}) {
      const seen = new Set();
      let digits = '';
      for (const x of packets) {
        const isEvent = pt !== undefined ? x.pt === pt : x.pt >= 96 && x.pt <= 127 && x.payload.length === 4;
        if (!isEvent || x.payload.length < 4) continue;
        const key = `${x.ssrc}:${x.timestamp}`;
        if (seen.has(key)) continue;
        seen.add(key);
        digits += DTMF_CHARS[x.payload[0]] ?? '?';
      }
      return digits;
    },
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}

module.exports = { startRtpSink, parseRtp };
