'use strict';

// UAS (a SIP trunk without registration): answers every call, plays
// sound.wav (looping) to the caller and records the caller to call.wav.
//
//   node examples/uas.js [port]        (listens on 127.0.0.1, default 5060)

const fs = require('node:fs');
const path = require('node:path');
const sipster = require('..');

const port = Number(process.argv[2] || 5060);
const sound = path.join(__dirname, 'sound.wav');
const recording = path.resolve('call.wav');

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: node ${path.relative(process.cwd(), __filename)} [port]`);
  process.exit(1);
}

if (!fs.existsSync(sound)) {
  console.error(`${sound} is missing: this example plays it to every caller.
Make one (any mono WAV will do), for instance 10 seconds of a 440 Hz tone with sox:

  sox -n -r 8000 -c 1 -b 16 ${sound} synth 10 sine 440

or convert a recording of your own:

  sox recording.mp3 -r 8000 -c 1 -b 16 ${sound}`);
  process.exit(1);
}

// pjsip's own console output is kept to errors.
sipster.init({
  logConfig: {
    level: 3,
    consoleLevel: 1,
    writer: (level, message) => process.stderr.write(`pjsip: ${message.trimEnd()}\n`),
  },
});

const transport = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
const account = new sipster.Account({
  idUri: 'sip:127.0.0.1',
  mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } }, // RTP too
});

account.on('call', (info, call) => {
  console.log(`=== Incoming call from ${info.remoteContact} (${info.srcAddress})`);

  call.on('state', (state) => console.log(`=== Call state is now: ${state.toUpperCase()}`));
  call.on('dtmf', (digit) => console.log(`=== DTMF digit received: ${digit}`));

  // One player and one recorder per call. pjsua re-creates the call's audio
  // stream when the media changes (hold, resume...), which drops its
  // connections: connect again on every 'media' event.
  let player = null;
  let recorder = null;
  call.on('media', (medias) => {
    const stream = medias[0];
    if (!stream) return;
    if (!player) {
      player = sipster.createPlayer(sound);
      recorder = sipster.createRecorder(recording);
      console.log(`=== Recording the caller to ${recording}`);
    }
    player.startTransmitTo(stream);
    stream.startTransmitTo(recorder);
    // To record both sides, also: player.startTransmitTo(recorder);
  });

  call.on('disconnected', () => {
    if (player) player.close();
    if (recorder) recorder.close(); // completes the WAV file
  });

  call.answer(); // 200 OK
});

sipster.start();
console.log(`Listening on ${transport.getInfo().localAddress} (pjsip ${sipster.version.full}); Ctrl-C to stop`);

process.on('SIGINT', () => {
  console.log('\nShutting down');
  sipster.shutdown();
  process.exit(0);
});
