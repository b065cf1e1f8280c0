'use strict';

// examples/media-stream.js against a WebSocket server in this test: a
// second sipster process calls the example, plays a tone and records what
// it hears; the server checks the Twilio-format frames and talks back.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { WebSocketServer } = require('ws');
const { mulaw } = require('alawmulaw');

const audio = require('./helpers/audio');
const { startPeer } = require('./helpers/peer');
const { freePort } = require('../harness/ports');
const { LOOPBACK_MEDIA } = require('./helpers/loopback');
const { waitUntil, sleep } = require('./helpers/events');

const EXAMPLE = path.join(__dirname, '..', 'examples', 'media-stream.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-media-stream-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function toneMulaw(freq, seconds) {
  const samples = new Int16Array(seconds * 8000);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(12000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  return Buffer.from(mulaw.encode(samples));
}

test('a call bridged to a WebSocket in the Twilio Media Streams format, both ways', { timeout: 60000 }, async () => {
  const wsPort = await freePort();
  const server = new WebSocketServer({ host: '127.0.0.1', port: wsPort });
  const messages = [];
  let socket = null;
  server.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => messages.push(JSON.parse(data)));
  });

  const sipPort = await freePort();
  const example = spawn(process.execPath, [EXAMPLE, `ws://127.0.0.1:${wsPort}/`, String(sipPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  example.stdout.on('data', (d) => (stdout += d));
  example.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => example.once('exit', resolve));
  const peer = await startPeer();
  try {
    await waitUntil(() => stdout.includes('Listening'), 10000, `the example listening (${stderr})`);
    const recording = path.join(dir, 'caller-hears.wav');
    const tone = path.join(dir, '700.wav');
    audio.writeToneWav(tone, { freq: 700, seconds: 2 });
    await peer.run(({ sipster, state, emit }, uri, tone, recording, media) => {
      sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
      state.transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
      state.account = new sipster.Account({ idUri: 'sip:caller@127.0.0.1', mediaConfig: media });
      sipster.start();
      state.call = state.account.makeCall(uri);
      state.call.on('media', ([stream]) => {
        if (state.recorder) return;
        state.player = sipster.createPlayer(tone);
        state.recorder = sipster.createRecorder(recording, 'pcm');
        state.player.startTransmitTo(stream);
        stream.startTransmitTo(state.recorder);
        emit('media');
      });
      state.call.on('disconnected', () => {
        state.recorder.close();
        emit('disconnected');
      });
    }, `sip:bot@127.0.0.1:${sipPort}`, tone, recording, LOOPBACK_MEDIA);
    await peer.waitFor('media');

    // The caller's voice arrives: 'connected', then 'start', then media.
    await waitUntil(() => messages.filter((m) => m.event === 'media').length >= 100, 10000, '2 s of media frames');
    assert.equal(messages[0].event, 'connected');
    assert.equal(messages[1].event, 'start');
    const { start, streamSid } = messages[1];
    assert.deepEqual(start.mediaFormat, { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
    assert.equal(start.streamSid, streamSid);
    const media = messages.filter((m) => m.event === 'media');
    for (const m of media) {
      assert.equal(m.streamSid, streamSid);
      assert.equal(Buffer.from(m.media.payload, 'base64').length, 160, '20 ms of u-law');
    }
    const heardByServer = mulaw.decode(Buffer.concat(media.map((m) => Buffer.from(m.media.payload, 'base64'))));
    const freq = audio.dominantFrequency(Float32Array.from(heardByServer, (s) => s / 32768), 8000);
    assert.ok(Math.abs(freq - 700) < 15, `the server hears ${freq} Hz`);

    // The server talks back: 1.5 s of 1200 Hz, then a mark.
    const reply = toneMulaw(1200, 1.5);
    for (let i = 0; i < reply.length; i += 160) {
      socket.send(JSON.stringify({ event: 'media', streamSid, media: { payload: reply.subarray(i, i + 160).toString('base64') } }));
    }
    const sentAt = Date.now();
    socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'reply-done' } }));
    await waitUntil(() => messages.find((m) => m.event === 'mark'), 10000, "the 'mark' back");
    const markAfter = Date.now() - sentAt;
    assert.ok(markAfter >= 1300, `mark after ${markAfter} ms of 1.5 s of audio`);
    assert.equal(messages.find((m) => m.event === 'mark').mark.name, 'reply-done');

    await peer.run(({ state }) => state.call.hangup());
    await peer.waitFor('disconnected');
    await waitUntil(() => messages.find((m) => m.event === 'stop'), 5000, "'stop'");
    await sleep(200);
    const heard = audio.readWav(recording);
    const replyPower = audio.toneEnergy(heard.samples, heard.sampleRate, 1200);
    assert.ok(replyPower > 0.001, `the caller hears the server's 1200 Hz (power ${replyPower})`);
    const seconds = audio.activeSeconds(heard.samples, heard.sampleRate, 0.05);
    assert.ok(seconds >= 1.2, `the caller heard ${seconds} s`);
  } finally {
    await peer.stop();
    example.kill('SIGTERM');
    await exited;
    server.close();
  }
});
