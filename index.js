'use strict';

// The JS face of sipster: EventEmitter classes over the native binding
// (src/*.rs). Native objects report events through one dispatcher; this file
// routes each event to the object it concerns by key.

const { EventEmitter } = require('node:events');

const native = require('./lib/native');
const { typeError, valueError, describe, check, checkHeaders, checkChoice } = require('./lib/errors');
const streams = require('./lib/streams');
const ivr = require('./lib/ivr');
const { incomingCallInfo, messageFromRequest, Responses } = require('./lib/sip-message');
const { receivers } = require('./lib/receivers');
const { Media } = require('./lib/media');
const { heldRequest, declineHeld } = require('./lib/held-request');

let logWriter = null;
let initialized = false;

// ---- events ------------------------------------------------------------------

// Who a call is between. The native side says it about once per call (in
// `call`, and in `callState` where it changed); each Call keeps its own.
function callIdentity(localUri = '', localContact = '', remoteUri = '', remoteContact = '', callId = '',
  srcAddress = '') {
  return { localUri, localContact, remoteUri, remoteContact, callId, srcAddress };
}

// A call's info: the status that its event carries, and its identity.
function callInfo(state, stateText, role, lastStatusCode, lastReason, connDuration, totalDuration,
  hasMedia, isActive, identity) {
  return {
    state,
    stateText,
    role,
    lastStatusCode,
    lastReason,
    localUri: identity.localUri,
    localContact: identity.localContact,
    remoteUri: identity.remoteUri,
    remoteContact: identity.remoteContact,
    callId: identity.callId,
    srcAddress: identity.srcAddress,
    connDuration,
    totalDuration,
    hasMedia,
    isActive,
  };
}

// The native side calls one handler per event kind, with that kind's own
// parameters (EventHandlers in src/bridge.rs), in the order pjsip produced
// the events. Keys say which object the event concerns.
const eventHandlers = {
  log(level, line) {
    if (logWriter) logWriter(level, line);
  },
  regStarted(accountKey, renew) {
    receivers.get(accountKey)?._onRegStarted(renew);
  },
  regState(accountKey, active, code, expires, reason) {
    receivers.get(accountKey)?._onRegState(active, code, expires, reason);
  },
  call(accountKey, callKey, handle, wholeMsg, state, localUri, localContact, remoteUri, remoteContact,
    callId, srcAddress) {
    const identity = callIdentity(localUri, localContact, remoteUri, remoteContact, callId, srcAddress);
    receivers.get(accountKey)?._onCall(callKey, handle, state, identity, wholeMsg);
  },
  // The identity parameters are null where they did not change.
  callState(callKey, state, stateText, role, lastStatusCode, lastReason, connDuration, totalDuration,
    hasMedia, isActive, localUri, localContact, remoteUri, remoteContact, callId, srcAddress) {
    const call = receivers.get(callKey);
    if (!call) return;
    const identity = call._identity;
    if (localUri !== null) identity.localUri = localUri;
    if (localContact !== null) identity.localContact = localContact;
    if (remoteUri !== null) identity.remoteUri = remoteUri;
    if (remoteContact !== null) identity.remoteContact = remoteContact;
    if (callId !== null) identity.callId = callId;
    if (srcAddress !== null) identity.srcAddress = srcAddress;
    call._onState(callInfo(state, stateText, role, lastStatusCode, lastReason, connDuration, totalDuration,
      hasMedia, isActive, identity));
  },
  callMedia(callKey, medias) {
    receivers.get(callKey)?._onMedia(medias);
  },
  dtmf(callKey, digit) {
    receivers.get(callKey)?._onDtmf(digit);
  },
  eof(playerKey) {
    receivers.get(playerKey)?._onEof();
  },
  transferStatus(callKey, code, reason, isFinal) {
    receivers.get(callKey)?._onTransferStatus(code, reason, isFinal);
  },
  info(callKey, wholeMsg) {
    receivers.get(callKey)?._onInfo(wholeMsg);
  },
  infoStatus(callKey, token, code, reason) {
    receivers.get(callKey)?._onInfoStatus(token, code, reason);
  },
  message(accountKey, wholeMsg) {
    receivers.get(accountKey)?._onMessage(wholeMsg);
  },
  messageStatus(accountKey, token, code, reason) {
    receivers.get(accountKey)?._onMessageStatus(token, code, reason);
  },
  transferRequest(callKey, token, wholeMsg) {
    const call = receivers.get(callKey);
    if (call) call._onTransferRequest(token, wholeMsg);
    else declineHeld(token);
  },
  replaceRequest(accountKey, callKey, token, wholeMsg) {
    const account = receivers.get(accountKey);
    if (account) account._onReplaceRequest(receivers.get(callKey), token, wholeMsg);
    else declineHeld(token);
  },
};

// ---- library -----------------------------------------------------------------

// `options` (new): sipster's own settings, see README ("Options").
function init(epConfig, options) {
  check('epConfig', epConfig, 'object', { optional: true });
  check('options', options, 'object', { optional: true });
  if (options) {
    for (const key of Object.keys(options)) {
      if (!['mediaTimeoutSec', 'admissionGuard', 'handleSignals'].includes(key)) {
        throw typeError(`options: unknown field '${key}'`);
      }
    }
    check('options.mediaTimeoutSec', options.mediaTimeoutSec, 'number', { optional: true });
    check('options.admissionGuard', options.admissionGuard, 'boolean', { optional: true });
    check('options.handleSignals', options.handleSignals, 'boolean', { optional: true });
  }
  let config = epConfig;
  let writer = null;
  if (epConfig && epConfig.logConfig !== undefined) {
    check('epConfig.logConfig', epConfig.logConfig, 'object');
    const { writer: w, ...logConfig } = epConfig.logConfig;
    if (w !== undefined && w !== null) {
      check('epConfig.logConfig.writer', w, 'function');
      writer = w;
    }
    config = { ...epConfig, logConfig };
  }
  const { handleSignals = true, ...nativeOptions } = options || {};
  native.init(config, writer !== null, eventHandlers, nativeOptions);
  logWriter = writer;
  initialized = true;
  if (handleSignals) installSignalHandlers();
}

// ---- signals -------------------------------------------------------------------

// Node's default for SIGINT, SIGTERM and SIGHUP ends the process at once:
// no 'exit' handlers, so calls would get no BYE and recordings would stop
// mid-write. Unless the application handles the signal itself, sipster
// shuts down first, then lets the signal end the process as it would have
// (killed by that signal: exit status 128 + its number, 130 for SIGINT).
const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onSignal(signal) {
  // Another listener is the application's own: the signal is its business.
  if (process.listenerCount(signal) > 1) return;
  removeSignalHandlers();
  try {
    shutdown();
  } finally {
    process.kill(process.pid, signal);
  }
}

function installSignalHandlers() {
  for (const signal of HANDLED_SIGNALS) {
    if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
  }
}

function removeSignalHandlers() {
  for (const signal of HANDLED_SIGNALS) process.removeListener(signal, onSignal);
}

function start() {
  native.start();
}

// Hangs up every call, unregisters and deletes accounts, closes players and
// recorders, then destroys the library. Runs by itself when Node exits.
function shutdown() {
  if (!initialized) return;
  initialized = false;
  removeSignalHandlers();
  native.shutdown();
  streams.endAll();
  for (const receiver of receivers.values()) {
    if (receiver instanceof Call) {
      // libDestroy hung it up; its 'disconnected' event can no longer come.
      receiver._state = 'disconnected';
      receiver._finish();
    }
  }
  receivers.clear();
}

process.on('exit', shutdown);

function setCodecPriority(idOrPrefix, priority) {
  check('idOrPrefix', idOrPrefix, 'string');
  check('priority', priority, 'integer');
  if (priority < 0 || priority > 255) throw valueError(`setCodecPriority: priority must be 0 to 255, got ${priority}`);
  native.setCodecPriority(idOrPrefix, priority);
}

function hangupAllCalls() {
  native.hangupAllCalls();
}

function createPlayer(filename, noLoop) {
  check('filename', filename, 'string');
  check('noLoop', noLoop, 'boolean', { optional: true });
  return Media._adopt(native.createPlayer([filename], noLoop));
}

function createPlaylist(filenames, noLoop) {
  if (!Array.isArray(filenames) || filenames.length === 0) {
    throw typeError(`filenames must be a non-empty array of strings, got ${describe(filenames)}`);
  }
  filenames.forEach((f, i) => check(`filenames[${i}]`, f, 'string'));
  check('noLoop', noLoop, 'boolean', { optional: true });
  return Media._adopt(native.createPlayer(filenames, noLoop));
}

// `options.sampleRate` (new): the file's rate; G.711 defaults to 8000 Hz,
// PCM to the bridge's rate.
function createRecorder(filename, format, maxSize, options) {
  check('filename', filename, 'string');
  check('format', format, 'string', { optional: true });
  if (maxSize !== undefined) check('maxSize', maxSize, 'number');
  check('options', options, 'object', { optional: true });
  const sampleRate = options ? options.sampleRate : undefined;
  if (sampleRate !== undefined) checkChoice('options.sampleRate', sampleRate, streams.SAMPLE_RATES);
  return Media._adopt(native.createRecorder(filename, format, maxSize, sampleRate));
}

const CONFIG_KINDS = ['EpConfig', 'AccountConfig', 'TransportConfig', 'AuthCredInfo', 'AccountConfigItems'];

// pjsua2's default config of a kind, with JS member names (works before init()).
function defaultConfig(kind) {
  check('kind', kind, 'string');
  if (!CONFIG_KINDS.includes(kind)) {
    throw valueError(`kind must be one of ${CONFIG_KINDS.map((k) => `'${k}'`).join(', ')}, not '${kind}'`);
  }
  return native.defaultConfig(kind);
}

// ---- Transport -----------------------------------------------------------------

class Transport {
  constructor(config, type) {
    if (typeof config === 'string' && type === undefined) {
      type = config;
      config = undefined;
    }
    check('transportConfig', config, 'object', { optional: true });
    check('type', type, 'string', { optional: true });
    this._native = new native.TransportHandle(config, type);
  }

  getInfo() {
    return this._native.getInfo();
  }

  enable() {
    this._native.enable();
  }

  disable() {
    this._native.disable();
  }

  get enabled() {
    return this._native.enabled;
  }

  ref() {
    this._native.ref();
  }

  unref() {
    this._native.unref();
  }

  // Not in the 2015 API: releases the socket.
  close() {
    this._native.close();
  }
}

// ---- Account -------------------------------------------------------------------

// `sipConfig.transport` may be a Transport: pjsua2 wants its id.
function accountConfigForNative(config) {
  if (!config || !config.sipConfig || config.sipConfig.transport === undefined) return config;
  const { transport, ...sipConfig } = config.sipConfig;
  if (!(transport instanceof Transport)) {
    throw typeError(`accountConfig.sipConfig.transport must be a Transport, got ${describe(transport)}`);
  }
  return { ...config, sipConfig: { ...sipConfig, transportId: transport.getInfo().id } };
}

// The OR of the shim's interest `bits` (by event name) of the events that
// `emitter` has listeners for, and of `adding`, the event of a listener
// about to be added ('newListener' comes before it is).
function listenedBits(emitter, bits, adding) {
  let listened = bits[adding] ?? 0;
  for (const name of emitter.eventNames()) listened |= bits[name] ?? 0;
  return listened;
}

// The shim's bit for each account event it sends only while listened to.
const ACCOUNT_INTEREST = Object.assign(Object.create(null), native.accountInterestBits());

class Account extends EventEmitter {
  constructor(accountConfig, isDefault) {
    super();
    check('accountConfig', accountConfig, 'object');
    check('isDefault', isDefault, 'boolean', { optional: true });
    this._native = new native.AccountHandle(accountConfigForNative(accountConfig), isDefault);
    receivers.set(this._native.key, this);
    this._messages = new Responses();
    // The native side copies MESSAGEs and holds INVITEs with Replaces only
    // while they have listeners ('newListener' comes before the listener
    // is added).
    this.on('newListener', (event) => {
      if (ACCOUNT_INTEREST[event] !== undefined) this._listenTo(event);
    });
    this.on('removeListener', (event) => {
      if (ACCOUNT_INTEREST[event] !== undefined) this._listenTo();
    });
  }

  _onMessage(wholeMsg) {
    this.emit('message', messageFromRequest(wholeMsg));
  }

  _onMessageStatus(token, statusCode, reason) {
    this._messages.settle(token, { statusCode, reason });
  }

  // New: an INVITE with Replaces for one of this account's calls (RFC 3891),
  // held for a decision while 'replaceRequest' has listeners; declined
  // (603) without one. accept() answers it and returns the new Call; pjsua
  // then ends the replaced call.
  _onReplaceRequest(call, token, wholeMsg) {
    if (this.listenerCount('replaceRequest') === 0) return void declineHeld(token);
    const { from, to, headers } = messageFromRequest(wholeMsg);
    this.emit('replaceRequest', heldRequest(token, { call, from, to, headers, wholeMsg }, 200, Call._adoptNew));
  }

  // `adding`: the event of a listener about to be added.
  _listenTo(adding) {
    if (!this._native.valid) return;
    this._native.listenTo(listenedBits(this, ACCOUNT_INTEREST, adding));
  }

  // New: an out-of-dialog MESSAGE. Settles on the final response, whatever
  // its code (pjsip's own 408 on a timeout); rejects only when it cannot be sent.
  sendMessage(uri, body, options) {
    return this._messages.request(() => {
      check('uri', uri, 'string');
      check('body', body, 'string');
      checkHeaders('options', options);
      if (options) check('options.contentType', options.contentType, 'string', { optional: true });
      return this._native.sendMessage(uri, body, options);
    });
  }

  _onRegStarted(renew) {
    this.emit(renew ? 'registering' : 'unregistering');
  }

  _onRegState(active, code) {
    this.emit('state', active, code);
    this.emit(active ? 'registered' : 'unregistered');
  }

  _onCall(callKey, handle, state, identity, wholeMsg) {
    const call = new Call(handle, state, callKey);
    call._identity = identity;
    receivers.set(callKey, call);
    const incoming = incomingCallInfo(identity, wholeMsg);
    this.emit('call', incoming, call);
    call._listenFromNowOn();
  }

  modify(accountConfig) {
    check('accountConfig', accountConfig, 'object');
    this._native.modify(accountConfigForNative(accountConfig));
  }

  getInfo() {
    return this._native.getInfo();
  }

  setRegistration(renew) {
    check('renew', renew, 'boolean');
    this._native.setRegistration(renew);
  }

  setTransport(transport) {
    if (!(transport instanceof Transport)) {
      throw typeError(`transport must be a Transport, got ${describe(transport)}`);
    }
    this._native.setTransport(transport._native);
  }

  makeCall(destination, options) {
    check('destination', destination, 'string');
    checkHeaders('options', options);
    return Call._adoptNew(this._native.makeCall(destination, options));
  }

  get valid() {
    return this._native.valid;
  }

  get default() {
    return this._native.isDefault;
  }

  set default(value) {
    check('default', value, 'boolean');
    if (!value) {
      throw valueError('default can only be set to true: make another account the default instead');
    }
    this._native.setDefault();
  }

  ref() {
    this._native.ref();
  }

  unref() {
    this._native.unref();
  }

  // Not in the 2015 API: removes the account (unregistering it first when
  // it is registered). The object is inert afterwards.
  delete() {
    receivers.delete(this._native.key);
    this._native.delete();
  }
}

// ---- Call ----------------------------------------------------------------------

// The shim's bit for each call event it sends only while listened to.
const CALL_INTEREST = Object.assign(Object.create(null), native.callInterestBits());

class Call extends EventEmitter {
  // Calls come from Account#makeCall() and the account's 'call' event.
  // `key`: the handle's, when the caller has it already.
  constructor(handle, state = 'null', key = undefined) {
    super();
    if (!(handle instanceof native.CallHandle)) {
      throw typeError('Call objects come from Account#makeCall() and the "call" event');
    }
    this._native = handle;
    this._key = key ?? handle.key;
    this._state = state;
    this._identity = callIdentity();
    // The call's audio: Media objects, made when first asked for (the
    // 'media' event, `medias`) from the native handles.
    this._medias = [];
    this._mediaHandles = null;
    // Once on, the native side copies and sends only the events that have
    // listeners (and always the end of the call).
    this._narrowed = false;
    this._infos = null; // the INFOs sent (sendInfo), made on first use
  }

  // A call of ours (makeCall, or an accepted request): everything it does
  // before the caller's listeners are on is sent; from then on only what
  // they listen to.
  static _adoptNew(handle) {
    const call = new Call(handle);
    receivers.set(call._key, call);
    process.nextTick(() => call._listenFromNowOn());
    return call;
  }

  // Listener changes matter only from now on: the trackers go on here, not
  // in the constructor, so that the listeners a 'call' handler adds cost
  // no 'newListener' round each ('removeListener' first: adding it would
  // report itself to the other).
  _listenFromNowOn() {
    if (this._narrowed) return;
    this._narrowed = true;
    this.on('removeListener', () => this._listen());
    this.on('newListener', (event) => this._listen(event));
    this._listen();
  }

  // `adding`: the event of a listener about to be added ('newListener'
  // comes before it is).
  _listen(adding) {
    if (!this._narrowed) return;
    this._native.listenTo(listenedBits(this, CALL_INTEREST, adding));
  }

  _onState(info) {
    this._state = info.state;
    if (this._state === 'disconnected') this._finish();
    this.emit('state', this._state, info);
    this.emit(this._state, info);
  }

  _onMedia(handles) {
    // Nobody has seen the previous ones, nobody listens: made if asked for.
    if (this._medias.length === 0 && this.listenerCount('media') === 0) {
      this._mediaHandles = handles;
      return;
    }
    const previous = this._medias; // (handles never adopted have no streams)
    this._mediaHandles = null;
    this._medias = handles.map((m) => Media._adopt(m));
    // pjsua re-creates a call's audio when the media changes (hold,
    // resume...): PCM streams move onto the new media.
    previous.forEach((old, i) => old._moveStreamsTo(this._medias[i]));
    this.emit('media', this._medias);
  }

  _adoptedMedias() {
    if (this._mediaHandles !== null) {
      this._medias = this._mediaHandles.map((m) => Media._adopt(m));
      this._mediaHandles = null;
      if (this._state === 'disconnected') for (const media of this._medias) media._ended();
    }
    return this._medias;
  }

  _onDtmf(digit) {
    this.emit('dtmf', digit);
  }

  _onTransferStatus(code, reason, isFinal) {
    this.emit('transferStatus', code, reason, isFinal);
  }

  _onInfo(wholeMsg) {
    const { contentType, body, headers } = messageFromRequest(wholeMsg);
    this.emit('info', { contentType, body, headers });
  }

  // New: a REFER from the peer (a transfer), held for a decision while
  // 'transferRequest' has listeners; declined (603) without one. accept()
  // answers 202 and returns the new Call placed to `target`; its progress
  // goes back to the transferor by NOTIFY.
  _onTransferRequest(token, wholeMsg) {
    // (held before this call's listeners were known)
    if (this.listenerCount('transferRequest') === 0) return void declineHeld(token);
    const { headers } = messageFromRequest(wholeMsg);
    const referTo = headers['refer-to'] || '';
    const target = referTo.replace(/^\s*<([^>]*)>.*$/, '$1').trim();
    this.emit('transferRequest', heldRequest(token, { target, headers, wholeMsg }, 202, Call._adoptNew));
  }

  _onInfoStatus(token, statusCode, reason) {
    this._infos?.settle(token, { statusCode, reason });
  }

  // New: IVR helpers (lib/ivr.js).
  waitFor(state, options) {
    return ivr.waitFor(this, state, options);
  }

  collectDtmf(options) {
    return ivr.collectDtmf(this, options);
  }

  // New: an INFO in the call's dialog. Settles with the final response,
  // whatever its code; rejects only when it cannot be sent.
  sendInfo(options) {
    this._infos ??= new Responses();
    return this._infos.request(() => {
      check('options', options, 'object');
      check('options.contentType', options.contentType, 'string');
      check('options.body', options.body, 'string', { optional: true });
      checkHeaders('options', options);
      return this._native.sendInfo(options.contentType, options.body ?? '', options.headers);
    });
  }

  _finish() {
    receivers.delete(this._key);
    for (const media of this._medias) media._ended();
    this._infos?.settleAll({ statusCode: 487, reason: 'Request Terminated (the call ended first)' });
  }

  answer(statusCode, reason, options) {
    check('statusCode', statusCode, 'integer', { optional: true });
    check('reason', reason, 'string', { optional: true });
    checkHeaders('options', options);
    this._native.answer(statusCode, reason, options);
  }

  hangup(statusCode, reason, options) {
    check('statusCode', statusCode, 'integer', { optional: true });
    check('reason', reason, 'string', { optional: true });
    checkHeaders('options', options);
    this._native.hangup(statusCode, reason, options);
  }

  hold(options) {
    checkHeaders('options', options);
    this._native.hold(options);
  }

  reinvite(options) {
    checkHeaders('options', options);
    this._native.reinvite(options);
  }

  update(options) {
    checkHeaders('options', options);
    this._native.update(options);
  }

  // A URI: blind transfer. Another Call (new): attended transfer, a REFER
  // whose Refer-To replaces that call's dialog.
  transfer(destination, options) {
    checkHeaders('options', options);
    if (destination instanceof Call) {
      this._native.transferReplaces(destination._native, options);
      return;
    }
    check('destination', destination, 'string');
    this._native.transfer(destination, options);
  }

  dtmf(digits, options) {
    check('digits', digits, 'string');
    check('options', options, 'object', { optional: true });
    if (options) {
      check('options.method', options.method, 'string', { optional: true });
      if (options.duration !== undefined) {
        check('options.duration', options.duration, 'integer');
        if (options.duration <= 0) throw valueError(`options.duration must be a positive number of ms, got ${options.duration}`);
      }
    }
    this._native.dtmf(digits, options);
  }

  getStatsDump(inclMediaStats, indent) {
    check('inclMediaStats', inclMediaStats, 'boolean', { optional: true });
    check('indent', indent, 'string', { optional: true });
    return this._native.getStatsDump(inclMediaStats, indent);
  }

  getInfo() {
    return this._native.getInfo();
  }

  get state() {
    // States nobody listens to are not sent: then pjsua's state is asked.
    if (this._narrowed && !this._native.ended && this.listenerCount('state') === 0) return this._native.state;
    return this._state;
  }

  get medias() {
    return this._adoptedMedias().slice();
  }

  get connDuration() {
    return this._native.connDuration;
  }

  get totalDuration() {
    return this._native.totalDuration;
  }

  get hasMedia() {
    return this._native.hasMedia;
  }

  get isActive() {
    return this._native.isActive;
  }

  ref() {
    this._native.ref();
  }

  unref() {
    this._native.unref();
  }
}

// ---- exports -------------------------------------------------------------------

const constants = Object.freeze(native.constants());
const version = Object.freeze(native.version());
const build = Object.freeze(native.buildInfo());

module.exports = {
  ...constants,
  constants,
  init,
  start,
  shutdown,
  hangupAllCalls,
  setCodecPriority,
  createPlayer,
  createPlaylist,
  createRecorder,
  defaultConfig,
  nowNs: native.nowNs,
  Transport,
  Account,
  Call,
  Media,
  MediaReadStream: streams.MediaReadStream,
  MediaWriteStream: streams.MediaWriteStream,
};

Object.defineProperties(module.exports, {
  version: { enumerable: true, value: version },
  build: { enumerable: true, value: build },
  config: { enumerable: true, get: () => native.config() },
  state: { enumerable: true, get: () => native.state() },
  mediaActivePorts: { enumerable: true, get: () => native.mediaActivePorts() },
  mediaMaxPorts: { enumerable: true, get: () => native.mediaMaxPorts() },
  maxCalls: { enumerable: true, get: () => native.maxCalls() },
  callCount: { enumerable: true, get: () => native.callCount() },
  codecs: { enumerable: true, get: () => native.codecs() },
});
