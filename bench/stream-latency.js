'use strict';

// Latency of live audio through sipster, one call: from an RTP packet
// arriving to the read stream's 'data' event with its audio, and from
// write() to the RTP packet leaving. sipster calls a SIPp UAS whose SDP
// points the media at a UDP socket of this probe, which sends RTP to
// sipster (PCMU, 20 ms packets) and receives sipster's RTP.
//
//   node bench/stream-latency.js [bursts]   -> one JSON line on stdout
//
// A burst is one 20 ms packet (or write) of a loud 1 kHz tone among
// silence; its latency is the time to the first frame (or packet) loud
// enough. RTP in includes pjmedia's jitter buffer, as a caller would have it.

const dgram = require('node:dgram');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const sipster = require(ROOT);
const { startSipp } = require('../harness/sipp');
const { freePort, freeRtpPort } = require('../harness/ports');

const BURSTS = Number(process.argv[2] || 300);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// G.711 u-law of one sample (for the packets this probe sends).
function ulaw(sample) {
  let s = Math.max(-32635, Math.min(32635, sample));
  const sign = s < 0 ? 0x00 : 0x80;
  if (s < 0) s = -s;
  s += 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}
function ulawDecode(u) {
  const x = ~u & 0xff;
  const t = (((x & 0x0f) << 3) + 0x84) << ((x & 0x70) >> 4);
  return x & 0x80 ? 0x84 - t : t - 0x84;
}

const SILENCE = Buffer.alloc(160, ulaw(0));
const LOUD = Buffer.from(Array.from({ length: 160 }, (_, i) => ulaw(Math.round(20000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)))));
const LOUD_PCM = Buffer.alloc(320);
for (let i = 0; i < 160; i++) LOUD_PCM.writeInt16LE(Math.round(20000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)), i * 2);

function pctl(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? Number(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(2)) : null;
}

async function main() {
  const rtpPort = await freeRtpPort();
  sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { handleSignals: false });
  new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
  const account = new sipster.Account({
    idUri: 'sip:probe@127.0.0.1',
    mediaConfig: { transportConfig: { boundAddress: '127.0.0.1', port: rtpPort } },
  });
  sipster.start();

  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const sippPort = await freePort();
  const sipp = await startSipp({
    scenario: 'uas_answer_rtp_sink.xml',
    localPort: sippPort,
    duration: 0,
    keys: { rtp_sink_port: sock.address().port },
  });
  const call = account.makeCall(`sip:sink@127.0.0.1:${sippPort}`);
  const [media] = await new Promise((resolve) => call.once('media', resolve));

  // RTP in: a packet every 20 ms, one loud in every 25.
  let seq = 0;
  let ts = 0;
  let loudSentAt = null;
  const rtpIn = [];
  let sending = true;
  const header = Buffer.alloc(12);
  const sendNext = () => {
    if (!sending) return;
    seq = (seq + 1) & 0xffff;
    ts = (ts + 160) >>> 0;
    const loud = seq % 25 === 0 && rtpIn.length < BURSTS;
    header[0] = 0x80;
    header[1] = 0; // PCMU
    header.writeUInt16BE(seq, 2);
    header.writeUInt32BE(ts, 4);
    header.writeUInt32BE(0x5157e4, 8);
    sock.send(Buffer.concat([header, loud ? LOUD : SILENCE]), rtpPort, '127.0.0.1');
    if (loud) loudSentAt = nowMs();
  };
  const start = nowMs();
  let tick = 0;
  const pace = () => {
    if (!sending) return;
    sendNext();
    tick++;
    setTimeout(pace, Math.max(0, start + tick * 20 - nowMs()));
  };
  const reader = media.createReadStream();
  reader.on('data', (pcm) => {
    if (loudSentAt === null) return;
    let energy = 0;
    for (let i = 0; i < pcm.length; i += 2) energy += Math.abs(pcm.readInt16LE(i));
    if (energy / (pcm.length / 2) > 3000) {
      rtpIn.push(nowMs() - loudSentAt);
      loudSentAt = null;
    }
  });
  pace();
  const limit = Date.now() + BURSTS * 500 + 20000;
  while (rtpIn.length < BURSTS && Date.now() < limit) await sleep(100);
  sending = false;
  reader.destroy();

  // write() -> RTP out: a loud 20 ms frame into an empty queue, every 200 ms.
  const writer = media.createWriteStream();
  const rtpOut = [];
  let wroteAt = null;
  sock.on('message', (msg) => {
    if (wroteAt === null || msg.length < 12 + 160) return;
    const pt = msg[1] & 0x7f;
    if (pt !== 0) return;
    let energy = 0;
    for (let i = 12; i < msg.length; i++) energy += Math.abs(ulawDecode(msg[i]));
    if (energy / (msg.length - 12) > 3000) {
      rtpOut.push(nowMs() - wroteAt);
      wroteAt = null;
    }
  });
  await sleep(500);
  for (let i = 0; i < BURSTS && Date.now() < limit + BURSTS * 300; i++) {
    wroteAt = nowMs();
    writer.write(LOUD_PCM);
    await sleep(200);
  }
  writer.destroy();
  call.hangup();
  await sleep(300);
  await sipp.stop();
  sock.close();
  sipster.shutdown();
  process.stdout.write(`${JSON.stringify({
    samples: Math.min(rtpIn.length, rtpOut.length),
    frameMs: 20,
    rtpToData: { n: rtpIn.length, p50: pctl(rtpIn, 50), p99: pctl(rtpIn, 99), max: pctl(rtpIn, 100) },
    writeToRtp: { n: rtpOut.length, p50: pctl(rtpOut, 50), p99: pctl(rtpOut, 99), max: pctl(rtpOut, 100) },
  })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
