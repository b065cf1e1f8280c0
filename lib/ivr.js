'use strict';

// IVR helpers: promises that settle on what happens in SIP. Each takes a
// `timeout` (ms) and an AbortSignal where it says so, and removes every
// listener and timer of its own once it settles, so that an unused helper
// leaves nothing behind.

const { check, describe, stateError, typeError, valueError } = require('./errors');

const CALL_STATES = ['calling', 'incoming', 'early', 'connecting', 'confirmed', 'disconnected'];

function codedError(message, code, extra) {
  return Object.assign(new Error(message), { code }, extra);
}

const callEnded = (what, info, extra) =>
  codedError(`${what}: the call ended first`, 'ERR_SIPSTER_CALL_ENDED', { info, ...extra });

function checkOptions(what, options) {
  check('options', options, 'object', { optional: true });
  const { timeout, signal } = options || {};
  if (timeout !== undefined) {
    check('options.timeout', timeout, 'number');
    if (!(timeout >= 0) || !Number.isFinite(timeout)) throw valueError(`${what}: options.timeout must be a number of ms >= 0, got ${timeout}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw typeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return options || {};
}

// A promise settled by `setup(resolve, reject)`, or by the timeout or the
// signal first; `setup` returns what removes its listeners.
function settleable(what, { timeout, signal }, setup, extraOnTimeout = () => ({})) {
  return new Promise((resolve, reject) => {
    let done = false;
    let cleanup = null;
    let timer = null;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (cleanup) cleanup();
      fn(value);
    };
    function onAbort() {
      finish(reject, Object.assign(new Error(`${what}: aborted`), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason }));
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => finish(reject, codedError(`${what}: no outcome within ${timeout} ms`, 'ERR_SIPSTER_TIMEOUT', extraOnTimeout())), timeout);
    }
    const remove = setup((value) => finish(resolve, value), (err) => finish(reject, err));
    if (done) remove?.();
    else cleanup = remove;
  });
}

// call.waitFor(state[, { timeout, signal }])
function waitFor(call, state, options) {
  const what = 'Call.waitFor';
  check('state', state, 'string');
  if (!CALL_STATES.includes(state)) throw valueError(`${what}: state must be one of ${CALL_STATES.join(', ')}, got '${state}'`);
  const opts = checkOptions(what, options);
  return settleable(what, opts, (resolve, reject) => {
    const now = call.state;
    if (now === state) return resolve(call.getInfo());
    if (now === 'disconnected') return reject(callEnded(what, call.getInfo()));
    const onState = (reached, info) => {
      if (reached === state) resolve(info);
      else if (reached === 'disconnected') reject(callEnded(what, info));
    };
    call.on('state', onState);
    return () => call.off('state', onState);
  });
}

// call.collectDtmf({ count, terminator, timeout, interDigitTimeout, signal })
function collectDtmf(call, options) {
  const what = 'Call.collectDtmf';
  const opts = checkOptions(what, options);
  const { terminator, interDigitTimeout } = opts;
  let { count } = opts;
  if (count !== undefined) {
    check('options.count', count, 'integer');
    if (count < 1) throw valueError(`${what}: options.count must be at least 1, got ${count}`);
  }
  if (terminator !== undefined) {
    check('options.terminator', terminator, 'string');
    if (!/^[0-9*#A-D]$/i.test(terminator)) throw valueError(`${what}: options.terminator must be one DTMF digit, got '${terminator}'`);
  }
  if (interDigitTimeout !== undefined) {
    check('options.interDigitTimeout', interDigitTimeout, 'number');
    if (!(interDigitTimeout > 0)) throw valueError(`${what}: options.interDigitTimeout must be a number of ms > 0, got ${interDigitTimeout}`);
  }
  if (count === undefined && terminator === undefined && interDigitTimeout === undefined) count = 1;
  let digits = '';
  return settleable(
    what,
    opts,
    (resolve, reject) => {
      if (call.state === 'disconnected') return reject(callEnded(what, call.getInfo(), { digits }));
      let gap = null;
      const onDtmf = (digit) => {
        clearTimeout(gap);
        if (terminator !== undefined && digit.toUpperCase() === terminator.toUpperCase()) return resolve(digits);
        digits += digit;
        if (count !== undefined && digits.length >= count) return resolve(digits);
        if (interDigitTimeout !== undefined) gap = setTimeout(() => resolve(digits), interDigitTimeout);
      };
      const onEnd = (info) => reject(callEnded(what, info, { digits }));
      call.on('dtmf', onDtmf);
      call.once('disconnected', onEnd);
      return () => {
        clearTimeout(gap);
        call.off('dtmf', onDtmf);
        call.off('disconnected', onEnd);
      };
    },
    () => ({ digits }),
  );
}

// player.waitForEof([{ signal }]): settles at 'eof'; rejects when the player
// is closed, or when every media it transmits to has ended (a prompt to a
// caller who hung up).
function waitForEof(player, options) {
  const what = 'Media.waitForEof';
  const opts = checkOptions(what, options);
  return settleable(what, opts, (resolve, reject) => {
    if (player._closed) return reject(stateError(`${what}: the player is closed`));
    const sinks = [...player._sinks].map((ref) => ref.deref()).filter(Boolean);
    const onEof = () => resolve();
    const onClose = () => reject(stateError(`${what}: the player was closed`));
    const onSinkEnded = () => {
      if (sinks.length && sinks.every((sink) => sink._closed)) {
        reject(codedError(`${what}: every media it plays to has ended`, 'ERR_SIPSTER_CALL_ENDED'));
      }
    };
    player.once('eof', onEof);
    player._endWatchers.add(onClose);
    for (const sink of sinks) sink._endWatchers.add(onSinkEnded);
    onSinkEnded();
    return () => {
      player.off('eof', onEof);
      player._endWatchers.delete(onClose);
      for (const sink of sinks) sink._endWatchers.delete(onSinkEnded);
    };
  });
}

module.exports = { waitFor, collectDtmf, waitForEof };
