'use strict';

// Players, playlists, recorders and the conference bridge, with the audio
// itself decoded and measured. Calls go to a second sipster process.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const sipster = require('..');
const audio = require('./helpers/audio');
const { startPeer } = require('./helpers/peer');
const { freePort, freeRtpPort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { parseMessages } = require('./helpers/sip-trace');
const { LOOPBACK_MEDIA } = require('./helpers/loopback');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-media-'));
const file = (name) => path.join(dir, name);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
const transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
const account = new sipster.Account({ idUri: 'sip:a@127.0.0.1', mediaConfig: LOOPBACK_MEDIA });
sipster.start();
transport.unref();
account.unref();
// The bridge's ports with no call, player or recorder open.
const IDLE_PORTS = sipster.mediaActivePorts;

audio.writeToneWav(file('1000.wav'), { freq: 1000, seconds: 1.5 });
audio.writeToneWav(file('600.wav'), { freq: 600, seconds: 1 });
audio.writeToneWav(file('1500.wav'), { freq: 1500, seconds: 1 });
fs.writeFileSync(file('not-a-wav.wav'), 'this is not RIFF audio, just text');

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Bridge ports settle on the bridge clock (removals are queued there).
async function settledPorts(expected, limitMs = 2000) {
  const end = Date.now() + limitMs;
  while (sipster.mediaActivePorts !== expected && Date.now() < end) await sleep(20);
  return sipster.mediaActivePorts;
}

// A second sipster that answers and records what it hears.
async function recordingPeer(recordPath, format = 'pcm') {
  const peer = await startPeer();
  const port = await peer.run(({ sipster, state, emit }, recordPath, format, media) => {
    sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
    state.transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
    state.account = new sipster.Account({ idUri: 'sip:b@127.0.0.1', mediaConfig: media });
    state.account.on('call', (info, call) => {
      state.call = call;
      call.on('media', (medias) => {
        if (!state.recorder) {
          state.recorder = sipster.createRecorder(recordPath, format);
          medias[0].startTransmitTo(state.recorder);
        }
        emit('media', medias.map((m) => ({ dir: m.dir, rtpAddr: m.rtpAddr, rtcpAddr: m.rtcpAddr })));
      });
      call.on('disconnected', () => {
        state.recorder.close();
        emit('disconnected');
      });
      call.answer();
    });
    sipster.start();
    return Number(state.transport.getInfo().localAddress.split(':')[1]);
  }, recordPath, format, LOOPBACK_MEDIA);
  return { peer, port, uri: `sip:b@127.0.0.1:${port}` };
}

function onceMedia(call) {
  return new Promise((resolve) => call.once('media', resolve));
}

test('a tone played into a call is recorded by the far end at its frequency and length', async () => {
  const recording = file('far-end.wav');
  const { peer, uri } = await recordingPeer(recording);
  try {
    const call = account.makeCall(uri);
    const [stream] = await onceMedia(call);
    // The far end records from its own 'media' event on: play once it is there.
    await peer.waitFor('media');
    const player = sipster.createPlayer(file('1000.wav'), true);
    player.startTransmitTo(stream);
    await new Promise((resolve) => player.once('eof', resolve));
    await sleep(500);
    call.hangup();
    await peer.waitFor('disconnected');
    player.close();

    const wav = audio.readWav(recording);
    assert.equal(wav.formatTag, 1);
    const freq = audio.dominantFrequency(wav.samples, wav.sampleRate);
    assert.ok(Math.abs(freq - 1000) < 20, `dominant ${freq} Hz`);
    const active = audio.activeSeconds(wav.samples, wav.sampleRate, 0.05);
    assert.ok(Math.abs(active - 1.5) < 0.3, `tone heard for ${active} s, played 1.5 s`);
  } finally {
    await peer.stop();
  }
});

test('stream addresses match the SDP and dir follows hold', async () => {
  const { peer, uri } = await recordingPeer(file('hold.wav'));
  try {
    const call = account.makeCall(uri);
    const [stream] = await onceMedia(call);
    assert.equal(stream.kind, 'stream');
    assert.equal(stream.dir, 'bidirectional');
    // The peer's media transport, as its SDP offered it (127.0.0.1 by config).
    assert.match(stream.rtpAddr, /^127\.0\.0\.1:\d+$/);
    const rtpPort = Number(stream.rtpAddr.split(':')[1]);
    assert.equal(stream.rtcpAddr, `127.0.0.1:${rtpPort + 1}`);
    const [peerView] = await peer.waitFor('media');
    assert.equal(peerView.dir, 'bidirectional');
    // And what the peer sees is our side of the same session.
    assert.match(peerView.rtpAddr, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(peerView.rtpAddr, stream.rtpAddr);

    call.hold();
    const [held] = await onceMedia(call);
    assert.equal(held.dir, 'outbound');
    const [peerHeld] = await peer.waitFor('media');
    assert.equal(peerHeld.dir, 'inbound');

    call.reinvite();
    const [resumed] = await onceMedia(call);
    assert.equal(resumed.dir, 'bidirectional');
    call.hangup();
    await peer.waitFor('disconnected');

    // The stream of an ended call refuses every use.
    assert.throws(() => resumed.startTransmitTo(resumed), { code: 'ERR_SIPSTER_STATE', message: /call of this media has ended/ });
    assert.throws(() => resumed.adjustTxLevel(1), { code: 'ERR_SIPSTER_STATE' });
    assert.throws(() => resumed.rxLevel, { code: 'ERR_SIPSTER_STATE' });
  } finally {
    await peer.stop();
  }
});

// Records `ms` of what the bridge gives `recorder`, as decoded samples.
test('two players mix into one recorder; levels and stopTransmitTo act on the mix', async () => {
  // The test before ends its call as this one starts: its ports leave the
  // bridge on the bridge's clock, so count from once they have.
  const baseline = await settledPorts(IDLE_PORTS);
  const low = sipster.createPlayer(file('600.wav'));
  const high = sipster.createPlayer(file('1500.wav'));
  const recorder = sipster.createRecorder(file('mix.wav'), 'pcm');
  assert.equal(sipster.mediaActivePorts, baseline + 3);

  low.startTransmitTo(recorder);
  high.startTransmitTo(recorder);
  await sleep(1000); // phase 1: both tones
  // As in pjsua2, tx is what a media transmits into the bridge.
  low.adjustTxLevel(0);
  high.adjustTxLevel(0);
  await sleep(1000); // phase 2: both players muted
  low.adjustTxLevel(1);
  high.adjustTxLevel(1);
  low.stopTransmitTo(recorder);
  await sleep(1000); // phase 3: only 1500 Hz
  assert.ok(high.txLevel > 0 && high.txLevel <= 100, `player tx level ${high.txLevel}`);
  assert.ok(recorder.rxLevel > 0, `recorder rx level ${recorder.rxLevel}`);
  recorder.close();
  low.close();
  high.close();
  assert.equal(await settledPorts(baseline), baseline);

  const wav = audio.readWav(file('mix.wav'));
  const phase = (from) => wav.samples.subarray(Math.floor((from + 0.25) * wav.sampleRate), Math.floor((from + 0.75) * wav.sampleRate));
  const share = (samples, freq) => audio.toneEnergy(samples, wav.sampleRate, freq) / audio.rms(samples) ** 2;
  const both = phase(0);
  assert.ok(share(both, 600) > 0.2, `600 Hz share ${share(both, 600)}`);
  assert.ok(share(both, 1500) > 0.2, `1500 Hz share ${share(both, 1500)}`);
  assert.ok(audio.rms(phase(1)) < 0.005, `muted phase rms ${audio.rms(phase(1))}`);
  const single = phase(2);
  assert.ok(share(single, 1500) > 0.8, `1500 Hz share ${share(single, 1500)}`);
  assert.ok(share(single, 600) < 0.05, `600 Hz share after stopTransmitTo ${share(single, 600)}`);
});

test('a playlist plays in order and ends once with eof; a looping player keeps playing', async () => {
  const playlist = sipster.createPlaylist([file('600.wav'), file('1500.wav')], true);
  const recorder = sipster.createRecorder(file('playlist.wav'), 'pcm');
  let eofs = 0;
  // Media objects do not hold the event loop unless ref'd; this test waits
  // on nothing else.
  playlist.ref();
  const started = Date.now();
  const eofAt = new Promise((resolve) => playlist.on('eof', () => {
    eofs += 1;
    resolve(Date.now() - started);
  }));
  playlist.startTransmitTo(recorder);
  const elapsed = await eofAt;
  await sleep(600);
  recorder.close();
  playlist.close();
  assert.equal(eofs, 1);
  assert.ok(elapsed > 1700 && elapsed < 2600, `eof after ${elapsed} ms for 2 s of audio`);
  const wav = audio.readWav(file('playlist.wav'));
  const runs = audio.toneSequence(audio.frequenciesOverTime(wav.samples, wav.sampleRate, 0.1), 30);
  const tones = runs.map((r) => r.freq ?? r).filter((f) => f > 0);
  assert.deepEqual(tones.map((f) => Math.round(f / 100) * 100), [600, 1500]);

  const looping = sipster.createPlayer(file('1500.wav'));
  const loopRec = sipster.createRecorder(file('loop.wav'), 'pcm');
  let loopEofs = 0;
  looping.on('eof', () => loopEofs++);
  looping.startTransmitTo(loopRec);
  await sleep(2500); // 2.5 s of a 1 s file
  assert.equal(loopEofs, 0, 'a looping player emits no eof');
  loopRec.close();
  looping.close();
  const loop = audio.readWav(file('loop.wav'));
  const active = audio.activeSeconds(loop.samples, loop.sampleRate, 0.05);
  assert.ok(active > 2.2, `looping player heard for ${active} s`);
});

test('recorder formats give valid WAV files with the tone, and maxSize bounds the file', async () => {
  const tags = { ulaw: 7, alaw: 6, pcm: 1 };
  const player = sipster.createPlayer(file('1000.wav'));
  for (const [format, tag] of Object.entries(tags)) {
    const recorder = sipster.createRecorder(file(`fmt-${format}.wav`), format);
    player.startTransmitTo(recorder);
    await sleep(700);
    recorder.close();
    const wav = audio.readWav(file(`fmt-${format}.wav`));
    assert.equal(wav.formatTag, tag, format);
    const freq = audio.dominantFrequency(wav.samples, wav.sampleRate);
    assert.ok(Math.abs(freq - 1000) < 20, `${format}: dominant ${freq} Hz`);
  }
  const capped = sipster.createRecorder(file('capped.wav'), 'pcm', 8000);
  player.startTransmitTo(capped);
  await sleep(1000); // 32 kB of 16 kHz PCM would be written without the cap
  capped.close();
  player.close();
  const size = fs.statSync(file('capped.wav')).size;
  assert.ok(size <= 8000 && size > 4000, `capped file is ${size} bytes`);
  assert.equal(audio.readWav(file('capped.wav')).formatTag, 1);
});

test('SIPp sending G.711 RTP to a recording sipster UAS is heard', async () => {
  const peerRecording = file('sipp-in.wav');
  const { peer, port } = await recordingPeer(peerRecording, 'ulaw');
  try {
    const result = await runSipp({
      scenario: 'uac_call_rtp.xml',
      remote: `127.0.0.1:${port}`,
      localPort: await freePort(),
      mediaPort: await freeRtpPort(),
      duration: 7500,
      timeoutMs: 30000,
    });
    assert.equal(result.code, 0, result.stderr + result.errors);
    await peer.waitFor('disconnected');
    const answer = parseMessages(result.messages).find((m) => m.direction === 'received' && m.status === 200 && /m=audio/.test(m.body));
    assert.match(answer.body, /c=IN IP4 127\.0\.0\.1/);
    const wav = audio.readWav(peerRecording);
    assert.equal(wav.formatTag, 7);
    const active = audio.activeSeconds(wav.samples, wav.sampleRate, 0.02);
    assert.ok(active > 3, `speech heard for ${active} s of the pcap's ~5 s`);
  } finally {
    await peer.stop();
  }
});

test('bad media input gets clear errors', () => {
  assert.throws(() => sipster.createPlayer(file('missing.wav')), (err) => {
    assert.equal(err.code, 'ERR_PJSIP');
    assert.match(err.message, /^createPlayer: /);
    assert.equal(typeof err.status, 'number');
    return true;
  });
  assert.throws(() => sipster.createPlayer(file('not-a-wav.wav')), { code: 'ERR_PJSIP', message: /^createPlayer: / });
  assert.throws(() => sipster.createPlaylist([]), { name: 'TypeError', message: /filenames/ });
  assert.throws(() => sipster.createPlaylist([file('600.wav'), 7]), { name: 'TypeError', message: /filenames\[1\]/ });
  assert.throws(() => sipster.createRecorder(file('x.wav'), 'mp3'), { name: 'TypeError', message: /format/ });
  assert.throws(() => sipster.createRecorder(file('x.wav'), 'pcm', -5), { name: 'RangeError', message: /maxSize/ });
  assert.throws(() => sipster.createRecorder(path.join(dir, 'no-such-dir', 'x.wav')), { code: 'ERR_PJSIP' });
  assert.throws(() => sipster.createPlayer(42), { name: 'TypeError', message: /filename/ });

  const player = sipster.createPlayer(file('600.wav'));
  assert.throws(() => player.startTransmitTo(transport), { name: 'TypeError', message: /sink must be a Media/ });
  assert.throws(() => player.startTransmitTo({}), { name: 'TypeError', message: /sink/ });
  assert.throws(() => player.adjustRxLevel('loud'), { name: 'TypeError', message: /level/ });
  assert.throws(() => player.adjustRxLevel(-1), { name: 'RangeError', message: /level/ });
  player.close();
  assert.throws(() => player.startTransmitTo(player), { code: 'ERR_SIPSTER_STATE', message: /closed/ });
  assert.throws(() => player.txLevel, { code: 'ERR_SIPSTER_STATE' });
  player.close(); // closing twice is harmless
  assert.throws(() => new sipster.Media({}), { name: 'TypeError' });
});
