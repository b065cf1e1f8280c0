'use strict';

// The JS face of sipster: EventEmitter classes over the native binding
// (src/*.rs). Native objects report events through one dispatcher; this file
// routes each event to the object it concerns by key.

const { EventEmitter } = require('node:events');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');

const native = require(path.join(__dirname, 'sipster.node'));

// Objects that receive events, by key: accounts, calls whose dialog is up,
// players. A call leaves this map when it is disconnected, a player when it
// is closed, an account when it is deleted.
const receivers = new Map();
let logWriter = null;
let initialized = false;

// ---- argument checks ---------------------------------------------------------

function typeError(message) {
  const err = new TypeError(message);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function check(name, value, type, { optional = false } = {}) {
  if (value === undefined && optional) return;
  if (type === 'integer') {
    if (!Number.isInteger(value)) throw typeError(`${name} must be an integer, got ${describe(value)}`);
    return;
  }
  if (type === 'object') {
    if (value === null && optional) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw typeError(`${name} must be an object, got ${describe(value)}`);
    }
    return;
  }
  if (typeof value !== type) throw typeError(`${name} must be a ${type}, got ${describe(value)}`);
}

function valueError(message) {
  const err = new TypeError(message);
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

function stateError(message) {
  const err = new Error(message);
  err.code = 'ERR_SIPSTER_STATE';
  err.status = 70013; // PJ_EINVALIDOP
  return err;
}

function checkHeaders(name, options) {
  check(name, options, 'object', { optional: true });
  if (!options || options.headers === undefined) return;
  check(`${name}.headers`, options.headers, 'object');
  for (const [key, value] of Object.entries(options.headers)) {
    check(`${name}.headers['${key}']`, value, 'string');
  }
}

// ---- event dispatch ------------------------------------------------------------

// The native side calls this with positional arguments (see EventArgs in
// src/bridge.rs: an object built in JS is far cheaper than one built
// through N-API); they become one event object for the receiver.
function dispatch(kind, key, timestamp, int1, int2, num1, num2, num3, flag1, flag2,
  text1, text2, text3, text4, text5, text6, text7, text8, text9, text10, call, medias) {
  if (kind === 'log') {
    if (logWriter) logWriter(int1, text1);
    return;
  }
  const receiver = receivers.get(key);
  if (!receiver) return;
  let event;
  switch (kind) {
    case 'callState':
    case 'call': {
      const info = {
        state: text1,
        stateText: text2,
        role: text3,
        lastStatusCode: int1,
        lastReason: text4,
        localUri: text5,
        localContact: text6,
        remoteUri: text7,
        remoteContact: text8,
        callId: text9,
        srcAddress: text10,
        connDuration: num1,
        totalDuration: num2,
        hasMedia: flag1,
        isActive: flag2,
      };
      event = { kind, key, timestamp, info, callKey: num3, call };
      break;
    }
    case 'callMedia':
      event = { kind, key, timestamp, medias };
      break;
    case 'regStarted':
      event = { kind, key, timestamp, renew: flag1 };
      break;
    case 'regState':
      event = { kind, key, timestamp, code: int1, expires: int2, active: flag1, reason: text1 };
      break;
    case 'transferStatus':
      event = { kind, key, timestamp, code: int1, isFinal: flag1, reason: text1 };
      break;
    case 'dtmf':
      event = { kind, key, timestamp, digit: text1 };
      break;
    default:
      event = { kind, key, timestamp };
      break;
  }
  receiver._onNativeEvent(event);
}

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
  native.init(config, writer !== null, dispatch, nativeOptions);
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
  for (const stream of [...audioStreams.values()]) stream._mediaEnded();
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
  if (sampleRate !== undefined) checkChoice('options.sampleRate', sampleRate, SAMPLE_RATES);
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

class Account extends EventEmitter {
  constructor(accountConfig, isDefault) {
    super();
    check('accountConfig', accountConfig, 'object');
    check('isDefault', isDefault, 'boolean', { optional: true });
    this._native = new native.AccountHandle(accountConfigForNative(accountConfig), isDefault);
    receivers.set(this._native.key, this);
  }

  _onNativeEvent(event) {
    switch (event.kind) {
      case 'regStarted':
        this.emit(event.renew ? 'registering' : 'unregistering');
        break;
      case 'regState':
        this.emit('state', event.active, event.code);
        this.emit(event.active ? 'registered' : 'unregistered');
        break;
      case 'call': {
        const call = new Call(event.call, event.info);
        receivers.set(event.callKey, call);
        const { srcAddress, localUri, localContact, remoteUri, remoteContact, callId } = event.info;
        this.emit('call', { srcAddress, localUri, localContact, remoteUri, remoteContact, callId }, call);
        break;
      }
      default:
        break;
    }
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
    const call = new Call(this._native.makeCall(destination, options), null);
    receivers.set(call._native.key, call);
    return call;
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

class Call extends EventEmitter {
  // Calls come from Account#makeCall() and the account's 'call' event.
  constructor(handle, info) {
    super();
    if (!(handle instanceof native.CallHandle)) {
      throw typeError('Call objects come from Account#makeCall() and the "call" event');
    }
    this._native = handle;
    this._state = info ? info.state : 'null';
    this._medias = [];
  }

  _onNativeEvent(event) {
    switch (event.kind) {
      case 'callState':
        this._state = event.info.state;
        if (this._state === 'disconnected') this._finish();
        this.emit('state', this._state, event.info);
        this.emit(this._state, event.info);
        break;
      case 'callMedia': {
        const previous = this._medias;
        this._medias = event.medias.map((m) => Media._adopt(m));
        // pjsua re-creates a call's audio when the media changes (hold,
        // resume...): PCM streams move onto the new media.
        previous.forEach((old, i) => old._moveStreamsTo(this._medias[i]));
        this.emit('media', this._medias);
        break;
      }
      case 'dtmf':
        this.emit('dtmf', event.digit);
        break;
      case 'transferStatus':
        this.emit('transferStatus', event.code, event.reason, event.isFinal);
        break;
      default:
        break;
    }
  }

  _finish() {
    receivers.delete(this._native.key);
    for (const media of this._medias) media._ended();
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

  transfer(destination, options) {
    check('destination', destination, 'string');
    checkHeaders('options', options);
    this._native.transfer(destination, options);
  }

  dtmf(digits) {
    check('digits', digits, 'string');
    this._native.dtmf(digits);
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
    return this._state;
  }

  get medias() {
    return this._medias.slice();
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

// ---- Media ---------------------------------------------------------------------

class Media extends EventEmitter {
  // Media objects come from createPlayer(), createPlaylist(),
  // createRecorder() and the call's 'media' event.
  constructor(handle) {
    super();
    if (!(handle instanceof native.MediaHandle)) {
      throw typeError('Media objects come from createPlayer(), createRecorder() and the "media" event');
    }
    this._native = handle;
    this._streams = new Set();
  }

  static _adopt(handle) {
    const media = new Media(handle);
    if (handle.kind === 'player' || handle.kind === 'playlist') receivers.set(handle.key, media);
    return media;
  }

  _onNativeEvent(event) {
    if (event.kind === 'eof') this.emit('eof');
  }

  startTransmitTo(sink) {
    if (!(sink instanceof Media)) throw typeError(`sink must be a Media, got ${describe(sink)}`);
    this._native.startTransmitTo(sink._native);
  }

  stopTransmitTo(sink) {
    if (!(sink instanceof Media)) throw typeError(`sink must be a Media, got ${describe(sink)}`);
    this._native.stopTransmitTo(sink._native);
  }

  adjustTxLevel(level) {
    check('level', level, 'number');
    this._native.adjustTxLevel(level);
  }

  adjustRxLevel(level) {
    check('level', level, 'number');
    this._native.adjustRxLevel(level);
  }

  get txLevel() {
    return this._native.txLevel;
  }

  get rxLevel() {
    return this._native.rxLevel;
  }

  get dir() {
    return this._native.dir;
  }

  get rtpAddr() {
    return this._native.rtpAddr;
  }

  get rtcpAddr() {
    return this._native.rtcpAddr;
  }

  get kind() {
    return this._native.kind;
  }

  close() {
    receivers.delete(this._native.key);
    this._native.close();
    this._ended();
  }

  ref() {
    this._native.ref();
  }

  unref() {
    this._native.unref();
  }

  // New: what this media transmits into the bridge, as PCM (the far end's
  // voice for a call, the file for a player).
  createReadStream(options) {
    const format = streamFormat(options, ['sampleRate', 'frameMs', 'maxBufferMs']);
    const maxBufferMs = optionalMs(options, 'maxBufferMs', 2000, format.frameMs);
    const handle = this._native.openStream(false, format.sampleRate, format.frameMs);
    return this._track(new MediaReadStream(this, handle, format, maxBufferMs));
  }

  // New: PCM that plays into this media in real time (to the far end for
  // a call, into the file for a recorder).
  createWriteStream(options) {
    const format = streamFormat(options, ['sampleRate', 'frameMs', 'highWaterMarkMs']);
    const highWaterMarkMs = optionalMs(options, 'highWaterMarkMs', 400, 1);
    // The ring holds more than the high-water mark, so that write()'s
    // answer comes from the queue's length, never from a full ring.
    const ringMs = Math.max(2 * highWaterMarkMs, 1000) + format.frameMs;
    const handle = this._native.openStream(true, format.sampleRate, format.frameMs, ringMs);
    return this._track(new MediaWriteStream(this, handle, format, highWaterMarkMs));
  }

  _track(stream) {
    this._streams.add(stream);
    audioStreams.set(stream._native.id, stream);
    return stream;
  }

  _moveStreamsTo(media) {
    for (const stream of this._streams) {
      if (!media) {
        stream._mediaEnded();
        continue;
      }
      try {
        media._native.attachStream(stream._native);
        media._streams.add(stream);
        stream._media = media;
      } catch (err) {
        stream._mediaEnded();
      }
    }
    this._streams.clear();
  }

  // The call ended or the media was closed: its streams end.
  _ended() {
    for (const stream of this._streams) stream._mediaEnded();
    this._streams.clear();
  }
}

// ---- PCM streams -----------------------------------------------------------------

const SAMPLE_RATES = [8000, 16000, 24000, 32000, 48000];
const FRAME_MS = [10, 20, 40, 60];
// Streams by native id: the audio thread's batches are routed by it.
const audioStreams = new Map();

function checkChoice(name, value, choices) {
  if (typeof value !== 'number') throw typeError(`${name} must be a number, got ${describe(value)}`);
  if (!choices.includes(value)) {
    throw valueError(`${name} must be one of ${choices.join(', ')}, got ${value}`);
  }
}

function streamFormat(options, allowed) {
  check('options', options, 'object', { optional: true });
  const opts = options || {};
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw typeError(`options: unknown field '${key}'`);
  }
  const sampleRate = opts.sampleRate === undefined ? 8000 : opts.sampleRate;
  const frameMs = opts.frameMs === undefined ? 20 : opts.frameMs;
  checkChoice('options.sampleRate', sampleRate, SAMPLE_RATES);
  checkChoice('options.frameMs', frameMs, FRAME_MS);
  return { sampleRate, frameMs, frameBytes: (sampleRate * frameMs / 1000) * 2 };
}

function optionalMs(options, name, fallback, min) {
  const value = options && options[name] !== undefined ? options[name] : fallback;
  check(`options.${name}`, value, 'integer');
  if (value < min || value > 600000) {
    throw valueError(`options.${name} must be from ${min} to 600000 ms, got ${value}`);
  }
  return value;
}

// The audio thread's batch, once per bridge tick: audio for read streams
// (one Buffer, each stream's part ending at audioEnds[i]), progress of the
// write streams that asked for it.
function onAudio(audioIds, audio, audioEnds, dropped, progressIds, played) {
  let start = 0;
  for (let i = 0; i < audioIds.length; i++) {
    const stream = audioStreams.get(audioIds[i]);
    if (stream) stream._onAudio(audio.subarray(start, audioEnds[i]), dropped[i]);
    start = audioEnds[i];
  }
  for (let i = 0; i < progressIds.length; i++) {
    const stream = audioStreams.get(progressIds[i]);
    if (stream) stream._onProgress(played[i]);
  }
}

native.audioHandler(onAudio);

function detachStream(stream) {
  audioStreams.delete(stream._native.id);
  if (stream._media) stream._media._streams.delete(stream);
  stream._native.close();
}

// Raw signed 16-bit little-endian mono PCM, one frame per chunk. Frames
// nobody reads are held up to maxBufferMs; older ones are dropped and
// counted in droppedFrames. Ends when the media closes or the call ends.
class MediaReadStream extends Readable {
  constructor(media, handle, format, maxBufferMs) {
    super({ highWaterMark: format.frameBytes });
    this._media = media;
    this._native = handle;
    this._frameBytes = format.frameBytes;
    this._maxFrames = Math.max(1, Math.floor(maxBufferMs / format.frameMs));
    this._held = [];
    this._wanted = false;
    this._dropped = 0;
    this.sampleRate = format.sampleRate;
    this.frameMs = format.frameMs;
  }

  get droppedFrames() {
    return this._dropped;
  }

  _read() {
    this._wanted = true;
    this._pushHeld();
  }

  _pushHeld() {
    while (this._wanted && this._held.length > 0) this._wanted = this.push(this._held.shift());
  }

  _onAudio(chunk, dropped) {
    if (this.destroyed || this._ending) return;
    this._dropped += dropped;
    const size = this._frameBytes;
    for (let offset = 0; offset + size <= chunk.length; offset += size) {
      this._held.push(chunk.subarray(offset, offset + size));
    }
    this._pushHeld();
    const room = this._maxFrames - Math.ceil(this.readableLength / size);
    const excess = this._held.length - Math.max(0, room);
    if (excess > 0) {
      this._held.splice(0, excess);
      this._dropped += excess;
    }
  }

  _mediaEnded() {
    if (this._ending || this.destroyed) return;
    this._ending = true;
    detachStream(this);
    for (const frame of this._held) this.push(frame);
    this._held = [];
    this.push(null);
  }

  _destroy(err, callback) {
    detachStream(this);
    callback(err);
  }
}

// Raw signed 16-bit little-endian mono PCM played into the media in real
// time. write() returns false once more than highWaterMarkMs is queued
// ahead of playback; 'drain' follows as it plays out. clear() drops what is
// queued (barge-in); mark(name) emits 'mark' once the audio written before
// it has played (or was cleared). 'finish' comes once everything played.
class MediaWriteStream extends Writable {
  constructor(media, handle, format, highWaterMarkMs) {
    // Node's own count would call for 'drain' as soon as a chunk is queued
    // natively; the queue ahead of playback is counted here instead.
    super({ highWaterMark: 1 << 30, decodeStrings: true });
    this._media = media;
    this._native = handle;
    this._hwmSamples = (format.sampleRate * highWaterMarkMs) / 1000;
    this._pending = []; // written, not yet in the native queue
    this._carry = null; // an odd trailing byte
    this._written = 0; // samples accepted, in samples since the stream began
    this._queued = 0; // samples handed to the native queue
    this._played = 0; // samples the bridge took (played or cleared)
    this._marks = [];
    this._needDrain = false;
    this._finalCallback = null;
    this._mediaGone = false;
    this._watching = false;
    this.sampleRate = format.sampleRate;
    this.frameMs = format.frameMs;
  }

  // Audio queued ahead of playback, in milliseconds.
  get queuedMs() {
    this._refreshPlayed();
    return ((this._written - this._played) * 1000) / this.sampleRate;
  }

  write(chunk, encoding, callback) {
    const ok = super.write(chunk, encoding, callback);
    if (this._written - this._played > this._hwmSamples) {
      this._refreshPlayed();
      if (this._written - this._played > this._hwmSamples) {
        this._needDrain = true;
        this._updateWatch();
        return false;
      }
    }
    return ok;
  }

  // Progress comes from the audio thread only while something waits for
  // it; otherwise it is read when needed.
  _refreshPlayed() {
    if (this._watching || this._mediaGone || this.destroyed) return;
    const played = this._native.played;
    if (played > this._played) this._played = played;
  }

  _updateWatch() {
    const want = !this._mediaGone && (this._needDrain || this._marks.length > 0 ||
      this._finalCallback !== null || this._pending.length > 0);
    if (want === this._watching) return;
    if (want) this._refreshPlayed();
    this._watching = want;
    this._native.watchProgress(want);
  }

  _write(chunk, encoding, callback) {
    if (this._mediaGone) {
      callback(stateError('write: the media of this stream has ended (call over or media closed)'));
      return;
    }
    let data = chunk;
    if (this._carry) {
      data = Buffer.concat([this._carry, chunk]);
      this._carry = null;
    }
    if (data.length % 2 === 1) {
      this._carry = data.subarray(data.length - 1);
      data = data.subarray(0, data.length - 1);
    }
    if (data.length > 0) {
      this._pending.push(data);
      this._written += data.length / 2;
      this._feed();
      if (this._pending.length > 0) this._updateWatch();
    }
    callback();
  }

  _feed() {
    while (this._pending.length > 0) {
      const head = this._pending[0];
      const taken = this._native.write(head);
      this._queued += taken / 2;
      if (taken === head.length) {
        this._pending.shift();
      } else {
        this._pending[0] = head.subarray(taken);
        break;
      }
    }
  }

  clear() {
    if (this._mediaGone || this.destroyed) return;
    for (const data of this._pending) this._written -= data.length / 2;
    this._pending = [];
    this._native.clear();
    // The clock jumps to the end of the native queue at its next tick.
    this._played = this._queued;
    this._written = this._queued;
    this._emitMarks(Infinity);
    this._progressed();
  }

  mark(name) {
    check('name', name, 'string');
    this._refreshPlayed();
    this._marks.push({ name, at: this._written });
    if (this._written <= this._played) process.nextTick(() => this._emitMarks(this._played));
    else this._updateWatch();
  }

  _emitMarks(upTo) {
    while (this._marks.length > 0 && this._marks[0].at <= upTo) this.emit('mark', this._marks.shift().name);
  }

  _onProgress(played) {
    if (played > this._played) this._played = played;
    this._feed();
    this._emitMarks(this._played);
    this._progressed();
  }

  _progressed() {
    if (this._needDrain && this._written - this._played <= this._hwmSamples) {
      this._needDrain = false;
      this.emit('drain');
    }
    if (this._finalCallback && this._pending.length === 0 && this._played >= this._queued) {
      const callback = this._finalCallback;
      this._finalCallback = null;
      detachStream(this);
      callback();
      return;
    }
    this._updateWatch();
  }

  _final(callback) {
    this._carry = null;
    this._finalCallback = callback;
    if (this._mediaGone) {
      this._finalCallback = null;
      callback();
      return;
    }
    this._refreshPlayed();
    this._progressed();
  }

  // Audio still queued when the call ends is dropped, as a hangup cuts a
  // player short; a later write() errors the stream.
  _mediaEnded() {
    if (this._mediaGone) return;
    this._mediaGone = true;
    detachStream(this);
    this._pending = [];
    this._emitMarks(Infinity);
    if (this._finalCallback) {
      const callback = this._finalCallback;
      this._finalCallback = null;
      callback();
    }
  }

  _destroy(err, callback) {
    detachStream(this);
    callback(err);
  }
}

// ---- exports -------------------------------------------------------------------

const constants = Object.freeze(native.constants());
const version = Object.freeze(native.version());

module.exports = {
  ...constants,
  constants,
  init,
  start,
  shutdown,
  hangupAllCalls,
  createPlayer,
  createPlaylist,
  createRecorder,
  defaultConfig,
  nowNs: native.nowNs,
  Transport,
  Account,
  Call,
  Media,
  MediaReadStream,
  MediaWriteStream,
};

Object.defineProperties(module.exports, {
  version: { enumerable: true, value: version },
  config: { enumerable: true, get: () => native.config() },
  state: { enumerable: true, get: () => native.state() },
  mediaActivePorts: { enumerable: true, get: () => native.mediaActivePorts() },
  mediaMaxPorts: { enumerable: true, get: () => native.mediaMaxPorts() },
  maxCalls: { enumerable: true, get: () => native.maxCalls() },
  callCount: { enumerable: true, get: () => native.callCount() },
});
