'use strict';

// Transports, accounts, players and recorders whose JS objects are
// garbage-collected keep working: the library owns them until close(),
// delete() or shutdown.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const sipster = require('..');
const audio = require('./helpers/audio');
const { freePort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function collectGarbage() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
}

sipster.init({ logConfig: { level: 0, consoleLevel: 0 } });
sipster.start();

test('a transport and an account nobody references still answer after gc()', async () => {
  const port = await freePort();
  const collected = { transport: false, account: false };
  const registry = new FinalizationRegistry((name) => {
    collected[name] = true;
  });
  (() => {
    const transport = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
    transport.unref();
    registry.register(transport, 'transport');
  })();
  await collectGarbage();
  assert.equal(collected.transport, true, 'the JS Transport was not collected; the test proves nothing');
  const result = await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${port}`, localPort: await freePort() });
  assert.equal(result.code, 0, 'the transport stopped answering once its JS object was collected');
});

test('a recorder nobody references keeps recording until shutdown', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-gc-'));
  const tone = path.join(dir, 'tone.wav');
  const recording = path.join(dir, 'rec.wav');
  audio.writeToneWav(tone, { freq: 800, seconds: 1 });
  let collected = false;
  const registry = new FinalizationRegistry(() => {
    collected = true;
  });
  const player = sipster.createPlayer(tone);
  (() => {
    const recorder = sipster.createRecorder(recording, 'pcm');
    player.startTransmitTo(recorder);
    registry.register(recorder, 'recorder');
  })();
  await collectGarbage();
  assert.equal(collected, true, 'the JS recorder was not collected; the test proves nothing');
  await sleep(1000);
  sipster.shutdown(); // finishes the recording
  const wav = audio.readWav(recording);
  const heard = audio.activeSeconds(wav.samples, wav.sampleRate, 0.05);
  assert.ok(heard > 0.9, `recorded ${heard} s after the recorder's JS object was collected`);
  fs.rmSync(dir, { recursive: true, force: true });
});
