'use strict';

// The process lifetime: what keeps Node running, and a clean exit with
// live native objects (libDestroy runs once, at exit).

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

function run(fixture, args = [], { limitMs = 10000, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', fixture), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${fixture} still running after ${limitMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, elapsed: Date.now() - started });
    });
  });
}

test('a script whose transports and accounts are unref\'d exits by itself', async () => {
  const result = await run('exit-unrefd.js');
  assert.equal(result.signal, null, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^exit 0 /m);
  assert.ok(result.elapsed < 2000, `took ${result.elapsed} ms`);
  assert.equal(result.stderr, '');
});

test('with pjsua\'s worker thread (SIPSTER_SIGNALLING=threads) too, an unref\'d script exits by itself', async () => {
  const result = await run('exit-unrefd.js', [], { env: { ...process.env, SIPSTER_SIGNALLING: 'threads' } });
  assert.equal(result.signal, null, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^exit 0 /m);
  assert.ok(result.elapsed < 3000, `took ${result.elapsed} ms`);
});

test('a ref\'d transport keeps the process alive until unref()', async () => {
  const result = await run('exit-ref-until-unref.js', ['1500']);
  assert.equal(result.code, 0, result.stderr);
  const unrefAt = Number(/unref after (\d+)/.exec(result.stdout)?.[1]);
  const exitAt = Number(/exit after (\d+)/.exec(result.stdout)?.[1]);
  assert.ok(unrefAt >= 1500, `the process did not wait for unref(): ${result.stdout}`);
  assert.ok(exitAt - unrefAt < 1000, `exit came ${exitAt - unrefAt} ms after unref()`);
});

test('process.exit() with a live call, accounts and a recorder exits 0 without a crash', async () => {
  const result = await run('exit-live-objects.js', ['exit']);
  assert.match(result.stdout, /^confirmed 2$/m);
  assert.equal(result.signal, null, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /Assertion|Segmentation|terminate called|panicked/);
});

test('unref\'ing everything during a live call lets the process end cleanly', async () => {
  const result = await run('exit-live-objects.js', ['drain']);
  assert.match(result.stdout, /^confirmed 2$/m);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^exit 0$/m);
  assert.doesNotMatch(result.stderr, /Assertion|Segmentation|terminate called|panicked/);
});
