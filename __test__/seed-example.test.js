'use strict';

// The 2015 reference's UAS example, as written (fixtures/seed-example.js):
// a recorder per 'media' event that it never closes, and no SIGINT handler.
// Called twice in a row, call.wav holds the caller's audio while the server
// runs (the newest recorder of a file wins) and after Ctrl-C.
//
// The example listens on port 5060 of every interface, so it runs in a
// loopback-only network namespace (unshare -n; the tests run as root),
// where both are this test's alone.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const RUNNER = path.join(__dirname, 'fixtures', 'seed-run.js');

test('the reference example records each caller to call.wav, readable while it runs and after Ctrl-C', () => {
  const run = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${RUNNER}"`], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.equal(result.error, undefined, `${result.error}\n${result.stderr}`);
  assert.equal(result.stdout.match(/=== Incoming call from/g).length, 2);

  for (const [name, freq] of [['first', 600], ['second', 1000]]) {
    const heard = result[name];
    assert.equal(heard.sippCode, 0, `${name} call`);
    assert.equal(heard.sampleRate, 8000, 'u-law at the telephone rate');
    assert.ok(Math.abs(heard.seconds - 3) < 0.5, `${name} call: ${heard.seconds} s in call.wav`);
    assert.ok(Math.abs(heard.freq - freq) < 15, `${name} call: ${heard.freq} Hz in call.wav`);
  }
  assert.deepEqual(result.exit, { code: null, signal: 'SIGINT' });
  assert.ok(Math.abs(result.afterSigint.seconds - 3) < 0.5, `after Ctrl-C: ${result.afterSigint.seconds} s`);
  assert.ok(Math.abs(result.afterSigint.freq - 1000) < 15);
});
