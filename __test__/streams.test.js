'use strict';

// PCM streams between calls and JS (media.createReadStream and
// createWriteStream), against SIPp: SIPp streams a tone that JS reads, and
// what JS writes is checked as RTP arriving at a UDP sink the test owns.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sipster = require('..');
const audio = require('./helpers/audio');
const { freePort, freeRtpPort } = require('./helpers/ports');
const { runSipp, startSipp } = require('./helpers/sipp');
const { startRtpSink } = require('./helpers/rtp');
const { loopbackAccount } = require('./helpers/loopback');
const { sleep, waitUntil } = require('./helpers/events');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-streams-'));
const file = (name) => path.join(dir, name);

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { handleSignals: false });
const { transport, account, port } = loopbackAccount(sipster, { idUri: 'sip:bot@127.0.0.1' });
sipster.start();
transport.unref();
account.unref();

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// 16-bit little-endian PCM chunks -> float samples.
function pcmSamples(chunks) {
  const bytes = Buffer.concat(chunks);
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2) / 32768;
  return out;
}

// Float samples -> 16-bit little-endian PCM.
function pcmBytes(samples) {
  const out = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), i * 2));
  return out;
}

function tone(freq, seconds, rate = 8000, amplitude = 0.5) {
  const samples = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return pcmBytes(samples);
}

// Answers the next incoming call and hands its first audio media to `onMedia`.
function answerNext(onMedia) {
  return new Promise((resolve) => {
    account.once('call', (info, call) => {
      call.once('media', ([media]) => resolve({ call, result: onMedia(media, call) }));
      call.answer();
    });
  });
}

// SIPp calls us and streams a tone (raw µ-law, looped) for `seconds`.
async function sippStreamsTone(freq, seconds) {
  const toneFile = file(`${freq}.ulaw`);
  audio.writeToneG711(toneFile, { freq, seconds: 1, law: 'ulaw' });
  return runSipp({
    scenario: 'uac_call_stream.xml',
    remote: `127.0.0.1:${port}`,
    localPort: await freePort(),
    mediaPort: await freeRtpPort(),
    duration: seconds * 1000,
    keys: { rtp_stream: `${toneFile},-1,0` },
    timeoutMs: 30000,
  });
}

function collect(stream) {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(chunks));
    stream.once('error', reject);
  });
}

for (const [sampleRate, frameMs] of [[8000, 20], [16000, 10], [48000, 60]]) {
  test(`a read stream (${sampleRate} Hz, ${frameMs} ms) gives JS the tone SIPp streams, one frame per chunk`, async () => {
    const answered = answerNext((media) => {
      const stream = media.createReadStream(sampleRate === 8000 ? undefined : { sampleRate, frameMs });
      return { stream, chunks: collect(stream) };
    });
    const sipp = await sippStreamsTone(700, 3);
    assert.equal(sipp.code, 0, sipp.stderr + sipp.errors);
    const { result } = await answered;
    const chunks = await result.chunks; // ends with the call (SIPp's BYE)
    const frameBytes = (sampleRate * frameMs) / 1000 * 2;
    assert.ok(chunks.length > 0);
    for (const chunk of chunks) assert.equal(chunk.length, frameBytes);
    const samples = pcmSamples(chunks);
    const seconds = samples.length / sampleRate;
    assert.ok(seconds > 2.5 && seconds < 4, `${seconds} s of audio for a 3 s call`);
    const freq = audio.dominantFrequency(samples, sampleRate);
    assert.ok(Math.abs(freq - 700) < 15, `dominant ${freq} Hz`);
    assert.equal(result.stream.droppedFrames, 0);
  });
}

// sipster calls a SIPp UAS whose SDP points the media at our RTP sink.
async function callSink() {
  const sink = await startRtpSink();
  const sippPort = await freePort();
  const sipp = await startSipp({
    scenario: 'uas_answer_rtp_sink.xml',
    localPort: sippPort,
    duration: 0,
    keys: { rtp_sink_port: sink.port },
  });
  const call = account.makeCall(`sip:sink@127.0.0.1:${sippPort}`);
  const [media] = await new Promise((resolve) => call.once('media', resolve));
  return {
    sink,
    call,
    media,
    async end() {
      if (call.state !== 'disconnected') {
        const gone = new Promise((resolve) => call.once('disconnected', resolve));
        call.hangup();
        await gone;
      }
      await sipp.stop();
      await sink.close();
    },
  };
}

// When the packets carrying `freq` began and ended at the sink (ms, Date.now()).
function toneSpan(sink, freq) {
  const hits = sink.packets.filter((p) => {
    if (p.pt !== 0 && p.pt !== 8) return false;
    const samples = audio.decodeG711(p.payload, p.pt === 8 ? 'alaw' : 'ulaw');
    const power = audio.rms(samples) ** 2;
    return power > 0.0025 && audio.toneEnergy(samples, 8000, freq) > 0.5 * power;
  });
  return hits.length ? { first: hits[0].at, last: hits[hits.length - 1].at, packets: hits.length } : null;
}

test('a write stream plays JS audio to the far end at its frequency and length; write() pushes back; finish waits for playback', async () => {
  const peer = await callSink();
  try {
    const stream = peer.media.createWriteStream();
    const started = Date.now();
    const ok = stream.write(tone(1000, 3));
    assert.equal(ok, false, '3 s at once is more than the 400 ms high-water mark');
    const drained = new Promise((resolve) => stream.once('drain', () => resolve(Date.now() - started)));
    await new Promise((resolve, reject) => stream.end(resolve).once('error', reject));
    const finishedAfter = Date.now() - started;
    const drainedAfter = await drained;
    assert.ok(finishedAfter >= 2900, `'finish' after ${finishedAfter} ms for 3 s of audio`);
    assert.ok(drainedAfter >= 2400 && drainedAfter <= finishedAfter, `'drain' after ${drainedAfter} ms`);
    await sleep(300);
    const span = toneSpan(peer.sink, 1000);
    assert.ok(span, 'the tone reached the far end');
    const heard = audio.activeSeconds(peer.sink.samples(), 8000, 0.05);
    assert.ok(Math.abs(heard - 3) <= 0.3, `far end heard ${heard} s of 3 s written`);
    assert.ok(Math.abs(audio.dominantFrequency(peer.sink.samples(), 8000) - 1000) < 15);
  } finally {
    await peer.end();
  }
});
