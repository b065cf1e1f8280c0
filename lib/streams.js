'use strict';

// PCM streams of a media: MediaReadStream (what the media transmits into
// the bridge) and MediaWriteStream (PCM played into it in real time), over
// sipster's own bridge port (src/audio.rs). The audio thread's batches come
// once per bridge tick and are routed to the streams by native id.

const { Readable, Writable } = require('node:stream');

const native = require('./native');
const { typeError, valueError, stateError, check, checkChoice } = require('./errors');

const SAMPLE_RATES = [8000, 16000, 24000, 32000, 48000];
const FRAME_MS = [10, 20, 40, 60];
// Streams by native id: the audio thread's batches are routed by it.
const audioStreams = new Map();

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

function track(stream) {
  audioStreams.set(stream._native.id, stream);
  return stream;
}

function createReadStream(media, options) {
  const format = streamFormat(options, ['sampleRate', 'frameMs', 'maxBufferMs']);
  const maxBufferMs = optionalMs(options, 'maxBufferMs', 2000, format.frameMs);
  const handle = media._native.openStream(false, format.sampleRate, format.frameMs);
  return track(new MediaReadStream(media, handle, format, maxBufferMs));
}

function createWriteStream(media, options) {
  const format = streamFormat(options, ['sampleRate', 'frameMs', 'highWaterMarkMs']);
  const highWaterMarkMs = optionalMs(options, 'highWaterMarkMs', 400, 1);
  // The ring holds more than the high-water mark, so that write()'s
  // answer comes from the queue's length, never from a full ring.
  const ringMs = Math.max(2 * highWaterMarkMs, 1000) + format.frameMs;
  const handle = media._native.openStream(true, format.sampleRate, format.frameMs, ringMs);
  return track(new MediaWriteStream(media, handle, format, highWaterMarkMs));
}

// At shutdown: every stream ends as its media does.
function endAll() {
  for (const stream of [...audioStreams.values()]) stream._mediaEnded();
}

module.exports = { SAMPLE_RATES, MediaReadStream, MediaWriteStream, createReadStream, createWriteStream, endAll };
