'use strict';

// The sipster side of the benchmark: a UAS that answers every INVITE with
// 200 from the JS 'call' handler (the public API, index.js), optionally
// records each call (one recorder per call, closed and deleted on
// 'disconnected').
//
// Run by bench/run.js with fork(): options come as JSON in argv[2], control
// goes over IPC:
//   -> { type: 'ready', port, pid, baselinePorts, maxCalls }
//   <- { type: 'stats', reset? }  -> { type: 'stats', ...counters, rss, memory,
//                                      ports, callCount, latency, eventKinds, jsTime }
//      (reset: the latency samples, eventKinds and jsTime start again)
//   <- { type: 'gc' }             -> { type: 'gc' }   (a full GC, for RSS samples)
//   <- { type: 'quit' }           shuts the library down and exits
//
// Options: { admissionGuard = true, record = false, recordDir, latency = false,
//            media = 'record' | 'files' | 'streams', sound, maxCalls = 4 }
//   media (with record): what each call's audio goes through:
//     record   a recorder of the caller (the default);
//     files    a looping player of `sound` to the caller and a recorder;
//     streams  a read stream and a write stream, JS echoing the caller back.
//
// Event latency: the 'call' event info of the public API carries no
// timestamp, so with `latency` this process wraps the native module's
// init() BEFORE index.js loads: each event handler index.js registers is
// wrapped in a function that notes when the shim saw the event (ns, the
// native deliveringEventNs()) before passing the event on unchanged. The JS
// handlers then compare nowNs() (the same clock) with that time.

const path = require('node:path');
const fs = require('node:fs');
const v8 = require('node:v8');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..');
const opts = JSON.parse(process.argv[2] || '{}');

const native = require(path.join(ROOT, 'sipster.node'));
let currentTs = 0; // timestamp of the event being dispatched right now
const eventKinds = {}; // events dispatched, by kind (with `latency`)
const MAX_SAMPLES = 200000;
const lat = { dispatch: [], callHandler: [], stateHandler: [] };
// With `latency`: time spent in the JS dispatcher (index.js and the
// handlers below) by event kind, and in call.answer(), in ns.
let jsTime = { dispatchNs: {}, answerNs: 0, answers: 0 };
function sample(arr, v) {
  if (arr.length < MAX_SAMPLES) arr.push(v);
}
if (opts.latency) {
  const realInit = native.init;
  native.init = function init(config, logToHandlers, handlers, options) {
    // One handler per event kind; each is wrapped to note when the shim saw
    // the event (deliveringEventNs) and the time spent in index.js and the
    // application's handlers below.
    const hooked = {};
    for (const [kind, handler] of Object.entries(handlers)) {
      hooked[kind] = (...args) => {
        currentTs = native.deliveringEventNs();
        eventKinds[kind] = (eventKinds[kind] || 0) + 1;
        if (kind !== 'log') sample(lat.dispatch, native.nowNs() - currentTs);
        const t0 = process.hrtime.bigint();
        handler(...args);
        jsTime.dispatchNs[kind] = (jsTime.dispatchNs[kind] || 0) + Number(process.hrtime.bigint() - t0);
      };
    }
    return realInit.call(this, config, logToHandlers, hooked, options);
  };
}

const sipster = require(ROOT);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

sipster.init(
  { logConfig: { level: 0, consoleLevel: 0 }, uaConfig: { maxCalls: opts.maxCalls || 4 } },
  { admissionGuard: opts.admissionGuard !== false },
);
const transport = new sipster.Transport({ port: opts.port || 0, boundAddress: '127.0.0.1' });
const account = new sipster.Account({
  idUri: 'sip:uas@127.0.0.1',
  mediaConfig: { transportConfig: { boundAddress: '127.0.0.1' } },
});

const counters = { incoming: 0, answered: 0, answerErrors: 0, confirmed: 0, disconnected: 0, recorders: 0, recordErrors: 0 };
let recSeq = 0;

account.on('call', (info, call) => {
  if (opts.latency) sample(lat.callHandler, sipster.nowNs() - currentTs);
  counters.incoming++;
  let recorder = null;
  let player = null;
  let file = null;
  let attached = false;
  const media = opts.media || 'record';
  if (opts.record) {
    call.on('media', (medias) => {
      if (attached || !medias.length) return;
      attached = true;
      try {
        if (media === 'streams') {
          const reader = medias[0].createReadStream();
          const writer = medias[0].createWriteStream();
          reader.on('data', (pcm) => writer.write(pcm));
          writer.on('error', () => {});
          return;
        }
        file = path.join(opts.recordDir, `call-${process.pid}-${++recSeq}.wav`);
        // files: 8 kHz in and out, as the streams it is compared with
        recorder = media === 'files' ? sipster.createRecorder(file, 'pcm', 0, { sampleRate: 8000 }) : sipster.createRecorder(file, 'pcm');
        medias[0].startTransmitTo(recorder);
        counters.recorders++;
        if (media === 'files') {
          player = sipster.createPlayer(opts.sound);
          player.startTransmitTo(medias[0]);
        }
      } catch {
        counters.recordErrors++;
      }
    });
  }
  call.on('confirmed', () => {
    counters.confirmed++;
  });
  call.on('disconnected', () => {
    if (opts.latency) sample(lat.stateHandler, sipster.nowNs() - currentTs);
    counters.disconnected++;
    if (player) player.close();
    if (recorder) {
      recorder.close();
      fs.rm(file, { force: true }, () => {});
    }
  });
  try {
    if (opts.latency) {
      const t0 = process.hrtime.bigint();
      call.answer(200);
      jsTime.answerNs += Number(process.hrtime.bigint() - t0);
      jsTime.answers++;
    } else {
      call.answer(200);
    }
    counters.answered++;
  } catch {
    counters.answerErrors++;
  }
});

sipster.start();
const port = Number(transport.getInfo().localAddress.split(':').pop());
const baselinePorts = sipster.mediaActivePorts;

process.on('message', (msg) => {
  if (msg.type === 'stats') {
    const out = {
      type: 'stats',
      ...counters,
      rss: process.memoryUsage.rss(),
      memory: process.memoryUsage(),
      ports: sipster.mediaActivePorts,
      callCount: sipster.callCount,
      latency: opts.latency ? { ...lat } : null,
      eventKinds: { ...eventKinds },
      jsTime,
    };
    if (msg.reset) {
      lat.dispatch = [];
      lat.callHandler = [];
      lat.stateHandler = [];
      jsTime = { dispatchNs: {}, answerNs: 0, answers: 0 };
      for (const k of Object.keys(eventKinds)) delete eventKinds[k];
    }
    process.send(out);
  } else if (msg.type === 'gc') {
    gc();
    process.send({ type: 'gc' });
  } else if (msg.type === 'quit') {
    sipster.shutdown();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', port, pid: process.pid, baselinePorts, maxCalls: sipster.maxCalls });
