'use strict';

// A read stream nobody reads, for a 60 s call: it holds at most
// maxBufferMs, counts every frame it drops, and the process's memory stays
// flat. The UAS is a second sipster process (helpers/peer.js) so that its
// RSS is the stream's alone; SIPp calls it and streams a tone.
//
// Part of `npm run test:soak`, not of `npm test`.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const audio = require('../helpers/audio');
const { startPeer } = require('../helpers/peer');
const { freePort, freeRtpPort } = require('../../harness/ports');
const { LOOPBACK_MEDIA } = require('../helpers/loopback');
const { runSipp } = require('../../harness/sipp');

const SECONDS = 60;

test(`an unread read stream over a ${SECONDS} s call: bounded buffer, drops counted, RSS flat`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-unread-'));
  const tone = path.join(dir, '500.ulaw');
  audio.writeToneG711(tone, { freq: 500, seconds: 1, law: 'ulaw' });
  const peer = await startPeer();
  try {
    const port = await peer.run(({ sipster, state, emit }, media) => {
      sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { handleSignals: false });
      state.transport = new sipster.Transport({ port: 0, boundAddress: '127.0.0.1' });
      state.account = new sipster.Account({ idUri: 'sip:unread@127.0.0.1', mediaConfig: media });
      state.account.on('call', (info, call) => {
        call.once('media', ([audio]) => {
          // 48 kHz: 96 KB/s, so a buffer that grew would show in RSS.
          state.stream = audio.createReadStream({ sampleRate: 48000, maxBufferMs: 2000 }); // never read
          emit('media');
        });
        call.on('disconnected', () => emit('disconnected'));
        call.answer();
      });
      state.sample = () => {
        return { rss: process.memoryUsage.rss(), dropped: state.stream.droppedFrames };
      };
      sipster.start();
      return Number(state.transport.getInfo().localAddress.split(':')[1]);
    }, LOOPBACK_MEDIA);

    const sipp = runSipp({
      scenario: 'uac_call_stream.xml',
      remote: `127.0.0.1:${port}`,
      localPort: await freePort(),
      mediaPort: await freeRtpPort(),
      duration: SECONDS * 1000,
      keys: { rtp_stream: `${tone},-1,0` },
      timeoutMs: (SECONDS + 30) * 1000,
    });
    await peer.waitFor('media');
    const samples = [];
    for (let t = 0; t < SECONDS - 2; t += 4) {
      await new Promise((resolve) => setTimeout(resolve, 4000));
      samples.push(await peer.run(({ state }) => state.sample()));
    }
    assert.equal((await sipp).code, 0);
    await peer.waitFor('disconnected');

    // Past the first 10 s (pools and the buffer fill up), RSS is flat.
    const settled = samples.slice(3).map((s) => s.rss);
    const growthMB = (Math.max(...settled) - settled[0]) / 2 ** 20;
    t.diagnostic(`RSS MB from 12 s on: ${settled.map((r) => (r / 2 ** 20).toFixed(1)).join(' ')}; dropped ${samples[samples.length - 1].dropped}`);
    assert.ok(growthMB < 2, `RSS grew ${growthMB.toFixed(2)} MB over ${SECONDS} s: ${settled.map((r) => (r / 2 ** 20).toFixed(1)).join(' ')}`);
    const last = samples[samples.length - 1];
    // Everything but the last maxBufferMs (100 frames) was dropped and counted.
    const elapsedFrames = (samples.length * 4000) / 20;
    assert.ok(last.dropped >= elapsedFrames - 100 - 150, `dropped ${last.dropped} of about ${elapsedFrames - 100}`);
    assert.ok(last.dropped <= elapsedFrames, `dropped ${last.dropped} > frames due ${elapsedFrames}`);
  } finally {
    await peer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
