'use strict';

// Audio helpers for media tests: write test tones as WAV files (to feed
// players/playlists), read WAV files back (what recorders wrote: PCM, A-law or
// mu-law) and analyse them (dominant frequency, tone energy, loudness,
// how long it was non-silent, frequency sequence over time).
//
// No dependencies; everything works on Float32Array samples in [-1, 1].

const fs = require('node:fs');

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/**
 * Encodes mono float samples in [-1, 1] as a 16-bit PCM WAV file image.
 * @param {ArrayLike<number>} samples
 * @param {number} rate sample rate in Hz
 * @returns {Buffer}
 */
function encodeWav(samples, rate) {
  const dataBytes = samples.length * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  buf.writeUInt16LE(1, 22); // channels
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    buf.writeInt16LE(Math.round(s * 32767), 44 + i * 2);
  }
  return buf;
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
// G.711
// ---------------------------------------------------------------------------

// G.711 mu-law byte -> 16-bit linear (ITU-T G.711 / classic Sun g711.c).
function ulawToLinear(u) {
  u = ~u & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84; // mantissa with bias
  t <<= (u & 0x70) >> 4; // segment (exponent)
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

// G.711 A-law byte -> 16-bit linear.
function alawToLinear(a) {
  a ^= 0x55; // even bits are inverted on the wire
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else {
    t += 0x108;
    if (seg > 1) t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

// 16-bit linear -> G.711 mu-law byte, with the reference arithmetic of Sun's
// g711.c (which pjmedia uses too): the 14 most significant bits, truncated,
// bias 33. (sox rounds instead, so it differs by one step at boundaries.)
function linearToUlaw(pcm) {
  let v = Math.max(-32768, Math.min(32767, Math.round(pcm))) >> 2;
  let mask;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else mask = 0xff;
  if (v > 8159) v = 8159; // clip the magnitude
  v += 33;
  let seg = 0;
  while (seg < 8 && v > ULAW_SEG_END[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];

// 16-bit linear -> G.711 A-law byte (Sun g711.c: the 13 most significant
// bits, truncated).
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
function linearToAlaw(pcm) {
  let v = Math.max(-32768, Math.min(32767, Math.round(pcm))) >> 3;
  let mask;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > ALAW_SEG_END[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return aval ^ mask;
}

/**
 * Encodes float samples in [-1, 1] as raw G.711 bytes.
 * @param {ArrayLike<number>} samples
 * @param {'ulaw'|'alaw'} law
 * @returns {Buffer}
 */
function encodeG711(samples, law = 'ulaw') {
  const enc = law === 'alaw' ? linearToAlaw : linearToUlaw;
  const out = Buffer.alloc(samples.length);
  // x32768 so that samples read by readWav (int16 / 32768) map back exactly
  for (let i = 0; i < samples.length; i++) out[i] = enc(Math.max(-1, Math.min(1, samples[i])) * 32768);
  return out;
}

/** Decodes raw G.711 bytes to float samples in [-1, 1]. */
function decodeG711(bytes, law = 'ulaw') {
  const table = law === 'alaw' ? ALAW : ULAW;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]];
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

// Lookup tables (256 entries each), already scaled to [-1, 1].
const ULAW = new Float32Array(256).map((_, i) => ulawToLinear(i) / 32768);
const ALAW = new Float32Array(256).map((_, i) => alawToLinear(i) / 32768);

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/**
 * Reads a WAV file.
 *
 * Supports format tags 1 (PCM 8/16/24/32-bit), 3 (IEEE float 32), 6 (A-law),
 * 7 (mu-law) and 0xFFFE (extensible, using its sub-format). Unknown chunks
 * (LIST, fact, ...) are skipped. A data chunk whose size is 0 or larger than
 * what is left of the file (a recorder that was not closed cleanly never
 * patched it) is taken to extend to the end of the file.
 * Multi-channel files are decoded to the first channel only.
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
  let fmt = null;
  let dataStart = -1;
  let dataBytes = 0;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      let formatTag = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const sampleRate = buf.readUInt32LE(body + 4);
      const bitsPerSample = buf.readUInt16LE(body + 14);
      // WAVE_FORMAT_EXTENSIBLE: the real tag is the first 2 bytes of the
      // SubFormat GUID at offset 24 of the fmt body.
      if (formatTag === 0xfffe && size >= 26) formatTag = buf.readUInt16LE(body + 24);
      fmt = { formatTag, channels, sampleRate, bitsPerSample };
    } else if (id === 'data') {
      dataStart = body;
      const left = buf.length - body;
      dataBytes = size === 0 || size > left ? left : size;
      break; // data is last in everything we care about
    }
    off = body + size + (size & 1); // chunks are word aligned
  }
  if (!fmt) throw new Error('readWav: no fmt chunk');
  if (dataStart < 0) throw new Error('readWav: no data chunk');

  const { formatTag, channels, bitsPerSample } = fmt;
  const bytesPerSample = Math.max(1, bitsPerSample >> 3);
  const frame = bytesPerSample * Math.max(1, channels);
  const n = Math.floor(dataBytes / frame);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = dataStart + i * frame; // first channel only
    let v;
    if (formatTag === 7) v = ULAW[buf[p]];
    else if (formatTag === 6) v = ALAW[buf[p]];
    else if (formatTag === 3 && bitsPerSample === 32) v = buf.readFloatLE(p);
    else if (formatTag === 1 && bitsPerSample === 16) v = buf.readInt16LE(p) / 32768;
    else if (formatTag === 1 && bitsPerSample === 8) v = (buf[p] - 128) / 128; // unsigned
    else if (formatTag === 1 && bitsPerSample === 24) v = buf.readIntLE(p, 3) / 8388608;
    else if (formatTag === 1 && bitsPerSample === 32) v = buf.readInt32LE(p) / 2147483648;
    else throw new Error(`readWav: unsupported format tag ${formatTag} / ${bitsPerSample} bits`);
    samples[i] = v;
  }
  return { ...fmt, samples, dataBytes };
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

// In-place iterative radix-2 FFT; re/im lengths must be the same power of 2.
function fft(re, im) {
  const n = re.length;
  // bit-reversal permutation
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
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
  let frames = 0;
  for (let start = 0; frames === 0 || start + size <= samples.length; start += hop) {
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    for (let i = 0; i < size && start + i < samples.length; i++) re[i] = samples[start + i] * win[i];
    fft(re, im);
    for (let k = 0; k <= size / 2; k++) mag[k] += Math.hypot(re[k], im[k]);
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
  ulawToLinear,
  alawToLinear,
  linearToUlaw,
  linearToAlaw,
  encodeG711,
  decodeG711,
  writeToneG711,
  fft,
  rms,
  dominantFrequency,
  toneEnergy,
  activeSeconds,
  frequenciesOverTime,
  toneSequence,
};
