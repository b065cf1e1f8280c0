'use strict';

// examples/ivr.js against a SIPp caller that types 1 2 3 (RFC 2833),
// accepts the transfer and reports it done (uac_ivr.xml).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { freePort } = require('../harness/ports');
const { runSipp } = require('../harness/sipp');
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');
const { readJsonLines } = require('../harness/jsonlines');
const audio = require('./helpers/audio');

test('examples/ivr.js plays its prompt, collects 123 and transfers the caller to sip:123@', { timeout: 60000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-ivr-example-'));
  const prompt = path.join(tmp, 'prompt.wav');
  audio.writeToneWav(prompt, { freq: 500, seconds: 3 });
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'ivr.js'), '--port', String(port), '--prompt', prompt, '--to', '127.0.0.1:5999'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = [];
  const waiters = [];
  readJsonLines(child.stdout, (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const waitLine = (pred, ms = 20000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such line in ${JSON.stringify(lines)}\n${stderr}`)), ms);
      const check = () => {
        const found = lines.find(pred);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  try {
    await waitLine((l) => l.ready);
    const result = await runSipp({ scenario: 'uac_ivr.xml', remote: `127.0.0.1:${port}`, localPort: await freePort(), timeoutMs: 40000 });
    assert.equal(result.code, 0, `SIPp: ${result.errors}\n${stderr}`);
    const [refer] = findMessages(parseMessages(result.messages), { direction: 'received', method: 'REFER' });
    assert.equal(header(refer, 'refer-to').replace(/^<|>$/g, ''), 'sip:123@127.0.0.1:5999');
    assert.equal((await waitLine((l) => l.digits)).digits, '123');
    const transferred = await waitLine((l) => l.transferred);
    assert.deepEqual([transferred.transferred, transferred.status], ['sip:123@127.0.0.1:5999', 200]);
    assert.equal((await waitLine((l) => l.ended)).ended, 'hangup');
  } finally {
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.equal(signal, null, stderr);
    assert.equal(code, 0, stderr);
  }
});
