'use strict';

// Audio helpers for media tests: write test tones as WAV files (to feed
// players/playlists), read WAV files back (what recorders wrote: PCM, A-law or
// mu-law) and analyse them (dominant frequency, tone energy, loudness,
// how long it was non-silent, frequency sequence over time).
//
// The file formats and codecs come from packages (wavefile, alawmulaw, fft.js);
// what is here is the tones and the measurements tests make on them. Samples
// are Float32Array in [-1, 1].

const fs = require('node:fs');
const { WaveFile } = require('wavefile');
const { alaw, mulaw } = require('alawmulaw');
const FFT = require('fft.js');

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

function toInt16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767);
  return out;
}

/**
 * Encodes mono float samples in [-1, 1] as a 16-bit PCM WAV file image.
 * @param {ArrayLike<number>} samples
 * @param {number} rate sample rate in Hz
 * @returns {Buffer}
 */
function encodeWav(samples, rate) {
  const wav = new WaveFile();
  wav.fromScratch(1, rate, '16', toInt16(samples));
  return Buffer.from(wav.toBuffer());
}

/** Writes mono float samples as a 16-bit PCM WAV file. */
function writeWav(path, samples, rate = 8000) {
  fs.writeFileSync(path, encodeWav(samples, rate));
}

// Synthesises consecutive segments with a continuous phase per segment.
// `freq` may be a number, an array of numbers (mixed, amplitude split evenly,
// e.g. a DTMF-like pair) or 0/null for silence.
function synth(segments, rate, amplitude) {
  const total = segments.reduce((n, s) => n + Math.round(s.seconds * rate), 0);
  const out = new Float32Array(total);
  let pos = 0;
  for (const seg of segments) {
    const n = Math.round(seg.seconds * rate);
    const freqs = (Array.isArray(seg.freq) ? seg.freq : [seg.freq]).filter((f) => f > 0);
    const amp = (seg.amplitude ?? amplitude) / Math.max(1, freqs.length);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (const f of freqs) v += amp * Math.sin((2 * Math.PI * f * i) / rate);
      out[pos + i] = v;
    }
    pos += n;
  }
  return out;
}

/**
 * Writes a sine tone as a 16-bit PCM mono WAV.
 * @param {string} path
 * @param {{freq: number|number[], seconds: number, rate?: number, amplitude?: number}} opts
 *   freq may be an array to mix several tones (amplitude is shared between them).
 */
function writeToneWav(path, { freq, seconds, rate = 8000, amplitude = 0.5 }) {
  writeWav(path, synth([{ freq, seconds }], rate, amplitude), rate);
}

/** Writes `seconds` of digital silence as a 16-bit PCM mono WAV. */
function writeSilenceWav(path, { seconds, rate = 8000 }) {
  writeWav(path, new Float32Array(Math.round(seconds * rate)), rate);
}

/**
 * Writes consecutive tones (freq 0 = silence) into one 16-bit PCM mono WAV.
 * @param {string} path
 * @param {Array<{freq: number|number[], seconds: number, amplitude?: number}>} segments
 * @param {{rate?: number, amplitude?: number}} [opts]
 */
function writeTonesWav(path, segments, { rate = 8000, amplitude = 0.5 } = {}) {
  writeWav(path, synth(segments, rate, amplitude), rate);
}

// ---------------------------------------------------------------------------
// G.711 (alawmulaw)
// ---------------------------------------------------------------------------

/**
 * Encodes float samples in [-1, 1] as raw G.711 bytes.
 * @param {ArrayLike<number>} samples
 * @param {'ulaw'|'alaw'} law
 * @returns {Buffer}
 */
function encodeG711(samples, law = 'ulaw') {
  const pcm = new Int16Array(samples.length);
  // x32768 so that samples read back (int16 / 32768) map back exactly
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768)));
  return Buffer.from((law === 'alaw' ? alaw : mulaw).encode(pcm));
}

/** Decodes raw G.711 bytes to float samples in [-1, 1]. */
function decodeG711(bytes, law = 'ulaw') {
  const pcm = (law === 'alaw' ? alaw : mulaw).decode(bytes);
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i] / 32768;
  return out;
}

/**
 * Writes a tone as a headerless G.711 file (8 kHz), e.g. for SIPp's
 * `<exec rtp_stream="file,loops,payloadType"/>` (uac_call_stream.xml):
 * law 'ulaw' goes with payload type 0, 'alaw' with 8.
 * @param {string} path
 * @param {{freq: number|number[], seconds: number, amplitude?: number, law?: 'ulaw'|'alaw'}} opts
 */
function writeToneG711(path, { freq, seconds, amplitude = 0.5, law = 'ulaw' }) {
  fs.writeFileSync(path, encodeG711(synth([{ freq, seconds }], 8000, amplitude), law));
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

// A recorder that was not closed cleanly (a crash, a kill) never patched the
// size of its data chunk: 0, or garbage larger than the file. Such a chunk is
// taken to run to the end of the file, in a copy whose size field says so.
function withDataSizeRepaired(buf) {
  let off = 12;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32LE(off + 4);
    if (buf.toString('ascii', off, off + 4) === 'data') {
      const left = buf.length - off - 8;
      if (size !== 0 && size <= left) return buf;
      const copy = Buffer.from(buf);
      copy.writeUInt32LE(left, off + 4);
      return copy;
    }
    off += 8 + size + (size & 1); // chunks are word aligned
  }
  return buf;
}

const FULL_SCALE = { 8: 128, 16: 32768, 24: 8388608, 32: 2147483648 };

/**
 * Reads a WAV file: PCM 8/16/24/32-bit, IEEE float 32, A-law, mu-law, and
 * WAVE_FORMAT_EXTENSIBLE, with any extra chunks (LIST, fact...). A data
 * chunk whose size is 0 or runs past the end of the file (an unfinished
 * recording) is read to the end of the file. Multi-channel files give their
 * first channel.
 *
 * @param {string|Buffer} pathOrBuffer
 * @returns {{formatTag: number, channels: number, sampleRate: number,
 *   bitsPerSample: number, samples: Float32Array, dataBytes: number}}
 */
function readWav(pathOrBuffer) {
  const buf = Buffer.isBuffer(pathOrBuffer) ? pathOrBuffer : fs.readFileSync(pathOrBuffer);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('readWav: not a RIFF/WAVE file');
  }
  const wav = new WaveFile(withDataSizeRepaired(buf));
  const { audioFormat, numChannels: channels, sampleRate, bitsPerSample } = wav.fmt;
  // WAVE_FORMAT_EXTENSIBLE: the real tag opens the SubFormat GUID
  const formatTag = audioFormat === 0xfffe ? wav.fmt.subformat[0] & 0xffff : audioFormat;
  const dataBytes = wav.data.samples.length;
  let samples;
  if (formatTag === 6 || formatTag === 7) {
    const codes = wav.data.samples.filter((_, i) => i % channels === 0);
    samples = decodeG711(codes, formatTag === 6 ? 'alaw' : 'ulaw');
  } else if (formatTag === 1 || (formatTag === 3 && bitsPerSample === 32)) {
    const all = wav.getSamples(false, Float64Array);
    const first = channels > 1 ? all[0] : all;
    samples = new Float32Array(first.length);
    const scale = formatTag === 3 ? 1 : FULL_SCALE[bitsPerSample];
    const offset = formatTag === 1 && bitsPerSample === 8 ? 128 : 0; // unsigned
    for (let i = 0; i < first.length; i++) samples[i] = (first[i] - offset) / scale;
  } else {
    throw new Error(`readWav: unsupported format tag ${formatTag} / ${bitsPerSample} bits`);
  }
  return { formatTag, channels, sampleRate, bitsPerSample, samples, dataBytes };
}

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

/** Root mean square of the samples (0 for an empty array). */
function rms(samples) {
  if (!samples.length) return 0;
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i] * samples[i];
  return Math.sqrt(s / samples.length);
}

// Magnitudes of the first size/2 + 1 bins of a real signal's spectrum.
function magnitudes(fft, input, out) {
  fft.realTransform(out, input);
  const mags = new Float64Array(input.length / 2 + 1);
  for (let k = 0; k < mags.length; k++) mags[k] = Math.hypot(out[2 * k], out[2 * k + 1]);
  return mags;
}

function nextPow2(n) {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

// Averaged magnitude spectrum of Hann-windowed frames (50% overlap).
// Frames are `size` long (a power of 2); a signal shorter than one frame is
// zero padded.
function averagedSpectrum(samples, size) {
  const mag = new Float64Array(size / 2 + 1);
  const win = new Float64Array(size);
  for (let i = 0; i < size; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
  const hop = size / 2;
  const transform = new FFT(size);
  const spectrum = transform.createComplexArray();
  let frames = 0;
  for (let start = 0; frames === 0 || start + size <= samples.length; start += hop) {
    const frame = new Float64Array(size);
    for (let i = 0; i < size && start + i < samples.length; i++) frame[i] = samples[start + i] * win[i];
    const frameMags = magnitudes(transform, frame, spectrum);
    for (let k = 0; k <= size / 2; k++) mag[k] += frameMags[k];
    frames++;
  }
  for (let k = 0; k < mag.length; k++) mag[k] /= frames;
  return mag;
}

/**
 * Dominant frequency (Hz) of the samples between `from` and `to` seconds,
 * from the peak of an averaged Hann-windowed FFT spectrum, refined by
 * parabolic interpolation. Returns 0 for silence/empty input.
 * @param {Float32Array} samples
 * @param {number} sampleRate
 * @param {{from?: number, to?: number, minFreq?: number, maxFreq?: number, frameSize?: number}} [opts]
 *   from/to: time range in seconds; minFreq/maxFreq: band searched
 *   (default 50 Hz .. Nyquist, so DC and hum are ignored); frameSize: FFT
 *   length (power of 2, default ~0.25 s worth of samples).
 */
function dominantFrequency(samples, sampleRate, opts = {}) {
  const { from = 0, to, minFreq = 50, maxFreq = sampleRate / 2 } = opts;
  const a = Math.max(0, Math.floor(from * sampleRate));
  const b = to == null ? samples.length : Math.min(samples.length, Math.floor(to * sampleRate));
  const seg = samples.subarray(a, Math.max(a, b));
  if (!seg.length || rms(seg) === 0) return 0;
  let size = opts.frameSize || nextPow2(Math.floor(sampleRate / 4));
  // A short segment: use one frame covering it rather than mostly zero padding
  // many frames.
  if (seg.length < size) size = nextPow2(seg.length);
  size = Math.max(size, 64);
  const mag = averagedSpectrum(seg, size);
  const binHz = sampleRate / size;
  const kMin = Math.max(1, Math.ceil(minFreq / binHz));
  const kMax = Math.min(mag.length - 2, Math.floor(maxFreq / binHz));
  let best = kMin;
  for (let k = kMin; k <= kMax; k++) if (mag[k] > mag[best]) best = k;
  // Parabolic interpolation of the peak on log magnitudes (good for Hann).
  const l = Math.log(mag[best - 1] + 1e-12);
  const c = Math.log(mag[best] + 1e-12);
  const r = Math.log(mag[best + 1] + 1e-12);
  const denom = l - 2 * c + r;
  const delta = denom === 0 ? 0 : (0.5 * (l - r)) / denom;
  return (best + Math.max(-0.5, Math.min(0.5, delta))) * binHz;
}

/**
 * Power of the `freq` component (Goertzel on the whole array, Hann windowed
 * so near-by tones leak less). Scaled so that a pure sine of amplitude A gives
 * about A^2/2, i.e. the same as rms(samples)^2 for a pure tone: compare
 * toneEnergy(...) / rms(...)**2 to get the fraction of power at `freq`.
 */
function toneEnergy(samples, rate, freq) {
  const n = samples.length;
  if (!n) return 0;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let winSum = 0;
  for (let i = 0; i < n; i++) {
    const h = n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1;
    winSum += h;
    const s0 = samples[i] * h + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // |X(w)|^2 for the (possibly non-integer bin) frequency w.
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  const amp = (2 * Math.hypot(re, im)) / winSum; // sine amplitude estimate
  return (amp * amp) / 2;
}

/**
 * Seconds of non-silent audio: the samples are cut into 20 ms blocks and
 * every block whose RMS exceeds `threshold` counts.
 */
function activeSeconds(samples, rate, threshold = 0.01) {
  const block = Math.max(1, Math.round(rate * 0.02));
  let active = 0;
  for (let i = 0; i < samples.length; i += block) {
    if (rms(samples.subarray(i, i + block)) > threshold) active += Math.min(block, samples.length - i);
  }
  return active / rate;
}

/**
 * Dominant frequency for each consecutive frame of `frameSeconds`; frames
 * whose RMS is below `silence` give 0. Use it to check the order of tones
 * (e.g. a playlist).
 * @returns {number[]}
 */
function frequenciesOverTime(samples, rate, frameSeconds = 0.25, { silence = 0.01 } = {}) {
  const n = Math.max(1, Math.round(frameSeconds * rate));
  const out = [];
  for (let i = 0; i + n <= samples.length; i += n) {
    const frame = samples.subarray(i, i + n);
    out.push(rms(frame) < silence ? 0 : dominantFrequency(frame, rate));
  }
  return out;
}

/**
 * Collapses a frequenciesOverTime() result into runs of similar frequency:
 * [{ freq, frames }] where consecutive frames within `toleranceHz` merge.
 * Handy to assert "440 then 880 then 1320" without caring about durations.
 */
function toneSequence(freqs, toleranceHz = 20) {
  const runs = [];
  for (const f of freqs) {
    const last = runs[runs.length - 1];
    if (last && Math.abs(last.freq - f) <= toleranceHz) {
      last.freq = (last.freq * last.frames + f) / (last.frames + 1);
      last.frames++;
    } else runs.push({ freq: f, frames: 1 });
  }
  return runs;
}

module.exports = {
  encodeWav,
  writeWav,
  writeToneWav,
  writeSilenceWav,
  writeTonesWav,
  readWav,
  encodeG711,
  decodeG711,
  writeToneG711,
  rms,
  dominantFrequency,
  toneEnergy,
  activeSeconds,
  frequenciesOverTime,
  toneSequence,
};
