'use strict';

// Voice bot bridge: answers every SIP call and streams its audio to a
// WebSocket in the Twilio Media Streams message format, so a voice-AI
// backend that accepts Twilio streams answers SIP calls through sipster.
//
//   node examples/media-stream.js <ws-url> [sip-port]   (default port 5060)
//
// Sent, per call: `connected`, `start` (audio/x-mulaw, 8000 Hz, mono),
// `media` (20 ms of the caller's voice, base64 u-law), `mark` (once the
// audio before a mark the server sent has played), `stop`.
// Received: `media` (audio to play to the caller), `mark`, `clear` (drop
// what is queued: barge-in).
//
// Needs the `ws` and `alawmulaw` packages: npm install ws alawmulaw

const crypto = require('node:crypto');
const path = require('node:path');
const WebSocket = require('ws');
const { mulaw } = require('alawmulaw');
const sipster = require('..');

const [url, portArg] = process.argv.slice(2);
const port = Number(portArg || 5060);
if (!url || !Number.isInteger(port)) {
  console.error(`usage: node ${path.relative(process.cwd(), __filename)} <ws-url> [sip-port]`);
  process.exit(1);
}

sipster.init({ logConfig: { level: 1, consoleLevel: 1 } });
const transport = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
const account = new sipster.Account({
  idUri: 'sip:bot@127.0.0.1',
  mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } }, // RTP too
});

const sid = (prefix) => prefix + crypto.randomBytes(16).toString('hex');

account.on('call', (info, call) => {
  const callSid = sid('CA');
  const streamSid = sid('MZ');
  const ws = new WebSocket(url);
  let sequenceNumber = 0;
  let reader = null;
  let writer = null;
  const send = (event, body) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ event, sequenceNumber: String(++sequenceNumber), streamSid, ...body }));
  };

  ws.on('open', () => {
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    send('start', {
      start: {
        streamSid,
        callSid,
        tracks: ['inbound'],
        customParameters: { from: info.remoteUri, to: info.localUri },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  });

  // Streams follow the call's audio across re-INVITEs: open them once.
  call.on('media', ([audio]) => {
    if (!audio || reader) return;
    reader = audio.createReadStream({ sampleRate: 8000, frameMs: 20 });
    writer = audio.createWriteStream({ sampleRate: 8000 });
    let chunk = 0;
    reader.on('data', (pcm) => {
      const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
      chunk += 1;
      send('media', {
        media: {
          track: 'inbound',
          chunk: String(chunk),
          timestamp: String(chunk * 20),
          payload: Buffer.from(mulaw.encode(samples)).toString('base64'),
        },
      });
    });
    writer.on('mark', (name) => send('mark', { mark: { name } }));
    writer.on('error', () => {}); // the call ended while audio was queued
  });

  ws.on('message', (data) => {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!writer) return;
    if (message.event === 'media' && message.media && message.media.payload) {
      const samples = mulaw.decode(Buffer.from(message.media.payload, 'base64'));
      writer.write(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    } else if (message.event === 'mark' && message.mark) {
      writer.mark(String(message.mark.name));
    } else if (message.event === 'clear') {
      writer.clear();
    }
  });
  ws.on('error', (err) => {
    console.error(`WebSocket: ${err.message}`);
    if (call.isActive) call.hangup();
  });

  call.on('disconnected', () => {
    send('stop', { stop: { callSid } });
    ws.close();
  });

  call.answer();
});

sipster.start();
console.log(`Listening on ${transport.getInfo().localAddress}, streaming calls to ${url}`);
