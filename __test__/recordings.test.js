'use strict';

// Recordings that lose nothing, and what a sipster process does on a
// signal. A child process (fixtures/recording-uas.js) answers a SIPp call
// that streams a tone and records it; the file is read with sox while it
// grows, after SIGKILL, and after SIGINT/SIGTERM.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const audio = require('./helpers/audio');
const { freePort, freeRtpPort } = require('../harness/ports');
const { startSipp } = require('../harness/sipp');
const { parseMessages, findMessages } = require('./helpers/sip-trace');
const { readJsonLines } = require('../harness/jsonlines');
const { sleep, waitUntil } = require('./helpers/events');

const FIXTURE = path.join(__dirname, 'fixtures', 'recording-uas.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-recordings-'));
const file = (name) => path.join(dir, name);
const TONE = file('800.ulaw');
audio.writeToneG711(TONE, { freq: 800, seconds: 1, law: 'ulaw' });

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// sox's own view of a WAV file: its duration (s), or an error.
function soxSeconds(wav) {
  const r = spawnSync('sox', ['--i', '-D', wav], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sox cannot read ${wav}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

// The header's data size matches the bytes on disk: a complete file.
function assertComplete(wav) {
  const buf = fs.readFileSync(wav);
  const dataAt = buf.indexOf('data', 12) + 8;
  assert.equal(buf.readUInt32LE(dataAt - 4), buf.length - dataAt, 'data size = bytes after the header');
  assert.equal(buf.readUInt32LE(4), buf.length - 8, 'RIFF size = file size - 8');
}

// Starts the recording UAS: `command` wraps it (bash, to see the exit status).
async function startUas(options, { viaShell = false } = {}) {
  const port = await freePort();
  const args = JSON.stringify({ port, ...options });
  const child = viaShell
    ? spawn('bash', ['-c', '"$0" "$1" "$2"; echo "{\\"event\\":\\"status\\",\\"status\\":$?}"', process.execPath, FIXTURE, args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [FIXTURE, args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  readJsonLines(child.stdout, (message) => events.push(message));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const event = (name, limitMs = 10000) => waitUntil(() => events.find((e) => e.event === name), limitMs, `'${name}' from the UAS (${stderr})`);
  const ready = await event('ready');
  return { port, pid: ready.pid, child, events, event, exited, stderr: () => stderr };
}

async function callWithTone(uas, scenario) {
  return startSipp({
    scenario,
    remote: `127.0.0.1:${uas.port}`,
    localPort: await freePort(),
    mediaPort: await freeRtpPort(),
    duration: 30000,
    keys: { rtp_stream: `${TONE},-1,0` },
  });
}

for (const format of ['ulaw', 'alaw', 'pcm']) {
  test(`${format}: the recording reads with sox while it is written, and after SIGKILL keeps all but the last second`, async () => {
    const wav = file(`kill-${format}.wav`);
    const uas = await startUas({ file: wav, format });
    const sipp = await callWithTone(uas, 'uac_call_stream.xml');
    try {
      const media = await uas.event('media');
      await sleep(2500);
      const growing = soxSeconds(wav);
      assert.ok(growing >= 1.3 && growing <= 2.6, `${growing} s readable 2.5 s into the call`);
      await sleep(1500);
      process.kill(uas.pid, 'SIGKILL');
      const killedAt = Date.now();
      await uas.exited;
      const recorded = (killedAt - media.t) / 1000;
      const kept = soxSeconds(wav);
      assert.ok(kept >= recorded - 1 && kept <= recorded + 0.1, `${kept} s kept of ${recorded} s recorded`);
      const read = audio.readWav(wav);
      assert.equal(read.sampleRate, format === 'pcm' ? 16000 : 8000);
      assert.equal(read.formatTag, { ulaw: 7, alaw: 6, pcm: 1 }[format]);
      assert.ok(Math.abs(audio.dominantFrequency(read.samples, read.sampleRate) - 800) < 15);
    } finally {
      await sipp.stop();
    }
  });
}

test('SIGINT with a live call: BYE on the wire, the recording finished, exit status 130', async () => {
  const wav = file('sigint.wav');
  const uas = await startUas({ file: wav, format: 'ulaw' }, { viaShell: true });
  const sipp = await callWithTone(uas, 'uac_call_stream_wait_bye.xml');
  const media = await uas.event('media');
  await sleep(2000);
  process.kill(uas.pid, 'SIGINT');
  const signalledAt = Date.now();
  const { status } = await uas.event('status');
  assert.equal(status, 130, uas.stderr());
  const result = await sipp.done;
  assert.equal(result.code, 0, `SIPp got its BYE: ${result.errors}`);
  const byes = findMessages(parseMessages(result.messages), { direction: 'received', method: 'BYE' });
  assert.equal(byes.length, 1);
  assertComplete(wav);
  const seconds = soxSeconds(wav);
  const recorded = (signalledAt - media.t) / 1000;
  assert.ok(Math.abs(seconds - recorded) < 0.3, `${seconds} s in the file, ${recorded} s recorded`);
});

test("with the application's own SIGINT handler sipster leaves the call up; SIGTERM, unhandled, ends it as Node would", async () => {
  const wav = file('own-handler.wav');
  const uas = await startUas({ file: wav, format: 'pcm', ownSigint: true });
  const sipp = await callWithTone(uas, 'uac_call_stream_wait_bye.xml');
  await uas.event('media');
  process.kill(uas.pid, 'SIGINT');
  await uas.event('sigint');
  await sleep(1500);
  assert.equal(findMessages(parseMessages(sipp.messages()), { direction: 'received', method: 'BYE' }).length, 0, 'no BYE after SIGINT');
  assert.equal(uas.child.exitCode, null, 'still running');
  process.kill(uas.pid, 'SIGTERM');
  const { code, signal } = await uas.exited;
  assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' });
  assert.equal((await sipp.done).code, 0, 'SIPp got its BYE');
  assertComplete(wav);
});
