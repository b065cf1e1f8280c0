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
const { freePort, freeRtpPort } = require('../harness/ports');
const { runSipp, startSipp } = require('../harness/sipp');
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
  test(`a read stream (${sampleRate} Hz, ${frameMs} ms) gives JS the tone SIPp streams, one frame per chunk`, { timeout: 30000 }, async () => {
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
    duration: 100, // ring time, as the other tests of this scenario use
    keys: { rtp_sink_port: sink.port },
  });
  const call = account.makeCall(`sip:sink@127.0.0.1:${sippPort}`);
  const [media] = await new Promise((resolve, reject) => {
    call.once('media', resolve);
    call.once('disconnected', (info) => reject(new Error(`the call to SIPp failed: ${info.lastStatusCode} ${info.lastReason}`)));
  });
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

test('a write stream plays JS audio to the far end at its frequency and length; write() pushes back; finish waits for playback', { timeout: 30000 }, async () => {
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

test('clear() at 1 s of a 5 s write leaves about 1 s at the far end; finish follows at once', { timeout: 30000 }, async () => {
  const peer = await callSink();
  try {
    const stream = peer.media.createWriteStream();
    stream.write(tone(1000, 5));
    await sleep(1000);
    stream.clear();
    assert.ok(stream.queuedMs < 1, `queued after clear: ${stream.queuedMs} ms`);
    const cleared = Date.now();
    await new Promise((resolve, reject) => stream.end(resolve).once('error', reject));
    assert.ok(Date.now() - cleared < 200, 'nothing left to play after clear()');
    await sleep(1000);
    const heard = audio.activeSeconds(peer.sink.samples(), 8000, 0.05);
    assert.ok(Math.abs(heard - 1) <= 0.3, `far end heard ${heard} s`);
  } finally {
    await peer.end();
  }
});

test("'mark' comes when the audio written before it has played (±100 ms of its last packet at the far end)", { timeout: 30000 }, async () => {
  const peer = await callSink();
  try {
    const stream = peer.media.createWriteStream();
    const marks = {};
    stream.on('mark', (name) => (marks[name] = Date.now()));
    stream.write(tone(600, 1));
    stream.mark('low');
    stream.write(tone(1400, 1));
    stream.mark('high');
    await new Promise((resolve) => stream.end(resolve));
    await sleep(300);
    assert.deepEqual(Object.keys(marks), ['low', 'high']);
    const low = toneSpan(peer.sink, 600);
    const high = toneSpan(peer.sink, 1400);
    assert.ok(low && high, 'both tones reached the far end');
    assert.ok(Math.abs(marks.low - low.last) <= 100, `mark 'low' ${marks.low - low.last} ms from its audio's end`);
    assert.ok(Math.abs(marks.high - high.last) <= 100, `mark 'high' ${marks.high - high.last} ms from its audio's end`);
    // A mark with nothing queued comes at once.
    const now = new Promise((resolve) => stream.once('mark', resolve));
    stream.mark('idle');
    assert.equal(await now, 'idle');
  } finally {
    await peer.end();
  }
});

test('two write streams into one call mix, as players do', { timeout: 30000 }, async () => {
  const peer = await callSink();
  try {
    const a = peer.media.createWriteStream();
    const b = peer.media.createWriteStream({ sampleRate: 16000 });
    a.write(tone(600, 1.5, 8000, 0.3));
    b.write(tone(1500, 1.5, 16000, 0.3));
    await Promise.all([new Promise((r) => a.end(r)), new Promise((r) => b.end(r))]);
    await sleep(300);
    const samples = peer.sink.samples();
    const power = audio.rms(samples) ** 2;
    assert.ok(audio.toneEnergy(samples, 8000, 600) > 0.25 * power, '600 Hz is in the mix');
    assert.ok(audio.toneEnergy(samples, 8000, 1500) > 0.25 * power, '1500 Hz is in the mix');
  } finally {
    await peer.end();
  }
});

// Ports settle on the bridge clock (removals are queued there from 2.15).
async function settledPorts() {
  let last = -1;
  for (let i = 0; i < 50 && sipster.mediaActivePorts !== last; i++) {
    last = sipster.mediaActivePorts;
    await sleep(100);
  }
  return last;
}

test('after the call ends, a read stream ends and a write errors the stream with ERR_SIPSTER_STATE; ports go', { timeout: 30000 }, async () => {
  const baseline = await settledPorts();
  const peer = await callSink();
  const reader = peer.media.createReadStream();
  const writer = peer.media.createWriteStream();
  const ended = new Promise((resolve) => reader.once('end', resolve));
  reader.resume();
  await peer.end();
  await ended;
  const error = new Promise((resolve) => writer.once('error', resolve));
  writer.write(tone(440, 0.1));
  const err = await error;
  assert.equal(err.code, 'ERR_SIPSTER_STATE');
  assert.equal(err.status, sipster.PJ_EINVALIDOP);
  assert.match(err.message, /ended/);
  // The call's port and both stream ports are gone (removal is on the clock).
  await waitUntil(() => sipster.mediaActivePorts === baseline, 3000, `ports back to ${baseline}`);
});

test('destroy() detaches a stream at once, mid-call', { timeout: 30000 }, async () => {
  const peer = await callSink();
  try {
    const withCall = await settledPorts();
    const reader = peer.media.createReadStream();
    const writer = peer.media.createWriteStream();
    assert.equal(sipster.mediaActivePorts, withCall + 2);
    reader.destroy();
    writer.destroy();
    await waitUntil(() => sipster.mediaActivePorts === withCall, 3000, 'stream ports released');
  } finally {
    await peer.end();
  }
});

test('a read stream nobody reads holds at most maxBufferMs and counts what it drops', { timeout: 30000 }, async () => {
  const answered = answerNext((media) => media.createReadStream({ maxBufferMs: 500 }));
  const sipp = sippStreamsTone(500, 4);
  const { result: stream } = await answered;
  await sleep(3000); // unread: 3 s arrive, 0.5 s may stay
  const held = [];
  for (let chunk = stream.read(); chunk !== null; chunk = stream.read()) held.push(chunk);
  const heldMs = held.length * 20;
  assert.ok(heldMs <= 520, `held ${heldMs} ms`);
  assert.ok(heldMs >= 400, `held only ${heldMs} ms`);
  assert.ok(stream.droppedFrames >= 100, `dropped ${stream.droppedFrames} frames of about 125`);
  // What is held is the newest audio, still the tone.
  assert.ok(Math.abs(audio.dominantFrequency(pcmSamples(held), 8000) - 500) < 15);
  stream.resume();
  assert.equal((await sipp).code, 0);
});

test('stream options are checked', { timeout: 30000 }, async () => {
  const player = sipster.createPlayer(writeTone('opts.wav'));
  try {
    const VALUE = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
    const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
    assert.throws(() => player.createReadStream({ sampleRate: 44100 }), { ...VALUE, message: /options\.sampleRate must be one of 8000, 16000, 24000, 32000, 48000, got 44100/ });
    assert.throws(() => player.createReadStream({ frameMs: 30 }), { ...VALUE, message: /options\.frameMs/ });
    assert.throws(() => player.createReadStream({ maxBufferMs: 0 }), { ...VALUE, message: /options\.maxBufferMs/ });
    assert.throws(() => player.createReadStream({ maxBufferMs: 'lots' }), { ...TYPE, message: /options\.maxBufferMs/ });
    assert.throws(() => player.createReadStream({ sampleRate: '8000' }), { ...TYPE, message: /options\.sampleRate/ });
    assert.throws(() => player.createReadStream({ highWaterMarkMs: 100 }), { ...TYPE, message: /unknown field 'highWaterMarkMs'/ });
    assert.throws(() => player.createWriteStream({ highWaterMarkMs: -1 }), { ...VALUE, message: /options\.highWaterMarkMs/ });
    assert.throws(() => player.createWriteStream(7), { ...TYPE, message: /options must be an object/ });
    const writer = player.createWriteStream();
    assert.throws(() => writer.mark(7), { ...TYPE, message: /name/ });
    writer.destroy();
    player.close();
    assert.throws(() => player.createReadStream(), { code: 'ERR_SIPSTER_STATE', message: /createReadStream: the media is closed/ });
  } finally {
    player.close();
  }
});

test("a player's read stream gives its file's audio", { timeout: 30000 }, async () => {
  const player = sipster.createPlayer(writeTone('player.wav', 900, 1));
  try {
    const stream = player.createReadStream({ sampleRate: 16000 });
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    await sleep(800);
    stream.destroy();
    const freq = audio.dominantFrequency(pcmSamples(chunks), 16000);
    assert.ok(Math.abs(freq - 900) < 15, `dominant ${freq} Hz`);
  } finally {
    player.close();
  }
});

function writeTone(name, freq = 440, seconds = 1) {
  audio.writeToneWav(file(name), { freq, seconds });
  return file(name);
}
