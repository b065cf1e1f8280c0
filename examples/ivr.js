'use strict';

// An IVR: answers each call, plays a prompt, collects three digits, and
// transfers the caller (REFER) to the extension typed, at `--to`'s host.
// Every step settles on what happens in SIP: a caller who hangs up during
// the prompt or the digits ends that call's script, nothing else.
//
//   node examples/ivr.js --port 5060 --prompt prompt.wav --to 127.0.0.1:5070
//
// It prints one JSON line per step, for a supervisor (and the test) to read:
//   {"ready":true,"port":5060}
//   {"call":"<Call-ID>","digits":"123"}
//   {"call":"<Call-ID>","transferred":"sip:123@127.0.0.1:5070","status":200}
//   {"call":"<Call-ID>","ended":"<why>"}

const path = require('node:path');
const sipster = require('..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const port = Number(option('port', 5060));
const prompt = option('prompt', path.join(__dirname, 'sound.wav'));
const transferHost = option('to', '127.0.0.1:5070');
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

sipster.init({ logConfig: { level: 1, consoleLevel: 1 } });
const transport = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
const account = new sipster.Account({
  idUri: `sip:ivr@127.0.0.1:${port}`,
  mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } },
});
sipster.start();

account.on('call', (info, call) => {
  script(call, info.callId).catch((err) => say({ call: info.callId, ended: err.code || err.message }));
});

async function script(call, callId) {
  call.answer(200);
  const [media] = await new Promise((resolve) => call.once('media', resolve));
  // The prompt and the digits run together: a caller may type at once.
  const player = sipster.createPlayer(prompt, true);
  player.startTransmitTo(media);
  const digits = call.collectDtmf({ count: 3, terminator: '#', timeout: 15000, interDigitTimeout: 4000 });
  player.waitForEof().catch(() => {}).finally(() => player.close());
  const typed = await digits;
  say({ call: callId, digits: typed });

  const target = `sip:${typed}@${transferHost}`;
  const outcome = new Promise((resolve) => {
    call.on('transferStatus', (code, reason, isFinal) => isFinal && resolve(code));
  });
  call.transfer(target);
  const status = await outcome;
  say({ call: callId, transferred: target, status });
  if (status >= 200 && status < 300) call.hangup();
  await call.waitFor('disconnected');
  say({ call: callId, ended: 'hangup' });
}

function stop() {
  account.delete();
  transport.close();
  sipster.shutdown();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
say({ ready: true, port });
