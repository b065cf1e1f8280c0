'use strict';

// The bridge's clock thread under live-audio load: `pairs` read streams,
// each on a player, whose audio JS writes into a write stream to a
// recorder of its own (a stand-in for a streamed call: stock pjproject
// builds allow only 4 calls and 32 players, so two pairs share a player). Reports the clock thread's CPU time per 20 ms tick
// (/proc/self/task/<clock>/schedstat), the frames JS got against the
// frames due, and the longest gap between two audio batches in JS.
//
//   node bench/stream-clock.js [seconds] [pairs]   -> one JSON line on stdout

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const sipster = require(path.join(__dirname, '..'));

const SECONDS = Number(process.argv[2] || 10);
const PAIRS = Number(process.argv[3] || 50);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function clockRuntimeNs() {
  for (const tid of fs.readdirSync('/proc/self/task')) {
    if (fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'clock') {
      return Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
  }
  throw new Error('no clock thread');
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-clock-'));
  const sound = path.join(dir, 'sound.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', sound, 'synth', '5', 'sine', '440']);
  sipster.init({ logConfig: { level: 0, consoleLevel: 0 } }, { handleSignals: false });
  sipster.start();
  let frames = 0;
  let lastBatch = null;
  let longestGap = 0;
  const pairs = [];
  const players = [];
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2 === 0) players.push(sipster.createPlayer(sound));
    const player = players[players.length - 1];
    const recorder = sipster.createRecorder(path.join(dir, `rec-${i}.wav`), 'pcm');
    const reader = player.createReadStream();
    const writer = recorder.createWriteStream();
    reader.on('data', (pcm) => {
      frames++;
      if (i === 0) {
        const now = Date.now();
        if (lastBatch !== null) longestGap = Math.max(longestGap, now - lastBatch);
        lastBatch = now;
      }
      writer.write(pcm);
    });
    pairs.push({ player, recorder, reader, writer });
  }
  await sleep(2000); // settle
  frames = 0;
  longestGap = 0;
  lastBatch = null;
  const ns0 = clockRuntimeNs();
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const wallMs = Date.now() - t0;
  const clockNs = clockRuntimeNs() - ns0;
  const delivered = frames;
  const dropped = pairs.reduce((a, p) => a + p.reader.droppedFrames, 0);
  const ports = sipster.mediaActivePorts;
  for (const p of pairs) {
    p.reader.destroy();
    p.writer.destroy();
    p.recorder.close();
  }
  for (const player of players) player.close();
  sipster.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
  const ticks = wallMs / 20;
  process.stdout.write(`${JSON.stringify({
    pairs: PAIRS,
    bridgePorts: ports,
    seconds: Number((wallMs / 1000).toFixed(2)),
    clockMsPerTick: Number((clockNs / 1e6 / ticks).toFixed(3)),
    clockCpuPct: Number(((clockNs / 1e6 / wallMs) * 100).toFixed(2)),
    framesDelivered: delivered,
    framesExpected: Math.round(PAIRS * ticks),
    dropped,
    longestBatchGapMs: longestGap,
  })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
