'use strict';

// Media: one port of the conference bridge (a call's audio, a player, a
// recorder), over the native MediaHandle.

const { EventEmitter } = require('node:events');

const native = require('./native');
const { typeError, describe, check } = require('./errors');
const streams = require('./streams');
const ivr = require('./ivr');
const { receivers } = require('./receivers');

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
    // What this media transmits to, for waitForEof(): weakly, so that a
    // recorder nobody references can still be collected.
    this._sinks = new Set();
    this._endWatchers = new Set();
    this._closed = false;
  }

  static _adopt(handle) {
    const media = new Media(handle);
    if (handle.kind === 'player' || handle.kind === 'playlist') receivers.set(handle.key, media);
    return media;
  }

  _onEof() {
    this.emit('eof');
  }

  startTransmitTo(sink) {
    if (!(sink instanceof Media)) throw typeError(`sink must be a Media, got ${describe(sink)}`);
    this._native.startTransmitTo(sink._native);
    this._forgetSink(sink);
    this._sinks.add(new WeakRef(sink));
  }

  stopTransmitTo(sink) {
    if (!(sink instanceof Media)) throw typeError(`sink must be a Media, got ${describe(sink)}`);
    this._native.stopTransmitTo(sink._native);
    this._forgetSink(sink);
  }

  _forgetSink(sink) {
    for (const ref of this._sinks) if (ref.deref() === sink || !ref.deref()) this._sinks.delete(ref);
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
    return this._track(streams.createReadStream(this, options));
  }

  // New: PCM that plays into this media in real time (to the far end for
  // a call, into the file for a recorder).
  createWriteStream(options) {
    return this._track(streams.createWriteStream(this, options));
  }

  _track(stream) {
    this._streams.add(stream);
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
    if (this._closed) return;
    this._closed = true;
    for (const watcher of [...this._endWatchers]) watcher();
    this._endWatchers.clear();
    // New: players and recorders say when they are gone.
    if (this.kind !== 'stream') this.emit('close');
  }

  // New: settles at 'eof' (see lib/ivr.js).
  waitForEof(options) {
    return ivr.waitForEof(this, options);
  }
}

module.exports = { Media };
