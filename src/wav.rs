//! WAV files that stay readable while they grow.
//!
//! pjmedia's WAV writer fills in the RIFF and data sizes only when the file
//! is closed, and it writes on the bridge's clock thread. This writer is fed
//! by the audio pump instead: each `flush()` appends what was pushed since
//! the last one and then rewrites the header's sizes, so at every moment the
//! file on disk is a complete WAV file of what was flushed. A crash loses at
//! most what was pushed after the last flush.
#![forbid(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// How samples are stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Ulaw,
    Alaw,
    Pcm16,
}

impl Encoding {
    fn bytes_per_sample(self) -> u64 {
        match self {
            Encoding::Pcm16 => 2,
            Encoding::Ulaw | Encoding::Alaw => 1,
        }
    }

    /// WAVE_FORMAT_PCM, WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW.
    fn format_tag(self) -> u16 {
        match self {
            Encoding::Pcm16 => 1,
            Encoding::Alaw => 6,
            Encoding::Ulaw => 7,
        }
    }
}

/// The header's length for one encoding.
struct Layout {
    header_len: u64,
}

impl Layout {
    fn of(encoding: Encoding) -> Layout {
        match encoding {
            // RIFF(12) + fmt(8+16) + data(8)
            Encoding::Pcm16 => Layout { header_len: 44 },
            // RIFF(12) + fmt(8+18) + fact(8+4) + data(8): non-PCM formats
            // must have a fact chunk.
            Encoding::Ulaw | Encoding::Alaw => Layout { header_len: 58 },
        }
    }
}

/// The header of a file holding `data_bytes` of audio.
fn header(encoding: Encoding, sample_rate: u32, data_bytes: u32) -> Vec<u8> {
    let layout = Layout::of(encoding);
    let bytes_per_sample = encoding.bytes_per_sample() as u16;
    let mut h = Vec::with_capacity(layout.header_len as usize);
    h.extend_from_slice(b"RIFF");
    let riff_len = (layout.header_len as u32 - 8).saturating_add(data_bytes);
    h.extend_from_slice(&riff_len.to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    let fmt_len: u32 = if encoding == Encoding::Pcm16 { 16 } else { 18 };
    h.extend_from_slice(&fmt_len.to_le_bytes());
    h.extend_from_slice(&encoding.format_tag().to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&sample_rate.to_le_bytes());
    h.extend_from_slice(&(sample_rate * u32::from(bytes_per_sample)).to_le_bytes());
    h.extend_from_slice(&bytes_per_sample.to_le_bytes()); // block align
    h.extend_from_slice(&(bytes_per_sample * 8).to_le_bytes());
    if encoding != Encoding::Pcm16 {
        h.extend_from_slice(&0u16.to_le_bytes()); // cbSize
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        h.extend_from_slice(&(data_bytes / u32::from(bytes_per_sample)).to_le_bytes());
    }
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_bytes.to_le_bytes());
    debug_assert_eq!(h.len() as u64, layout.header_len);
    h
}

/// A mono WAV file being written.
pub struct WavWriter {
    file: File,
    encoding: Encoding,
    sample_rate: u32,
    /// Encoded audio pushed since the last flush.
    pending: Vec<u8>,
    /// Audio bytes on disk after the header.
    data_bytes: u64,
    /// At most this many audio bytes (from `maxSize`); RIFF sizes are 32-bit.
    max_data_bytes: u64,
    header_len: u64,
}

impl WavWriter {
    /// Creates (or truncates) `path` and writes a header of an empty file.
    /// `max_file_bytes` bounds the whole file, header included.
    pub fn create(
        path: &Path,
        encoding: Encoding,
        sample_rate: u32,
        max_file_bytes: Option<u64>,
    ) -> io::Result<WavWriter> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let layout = Layout::of(encoding);
        file.write_all_at(&header(encoding, sample_rate, 0), 0)?;
        let riff_limit = u64::from(u32::MAX) - layout.header_len;
        let max_data_bytes = max_file_bytes
            .map(|m| m.saturating_sub(layout.header_len))
            .unwrap_or(riff_limit)
            .min(riff_limit);
        Ok(WavWriter {
            file,
            encoding,
            sample_rate,
            pending: Vec::new(),
            data_bytes: 0,
            max_data_bytes: max_data_bytes / encoding.bytes_per_sample()
                * encoding.bytes_per_sample(),
            header_len: layout.header_len,
        })
    }

    /// The file's identity (device, inode), to tell when two recorders
    /// write the same file.
    pub fn identity(&self) -> io::Result<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let meta = self.file.metadata()?;
        Ok((meta.dev(), meta.ino()))
    }

    /// Encodes samples for the next flush. Returns false once the file is
    /// full (`maxSize`): the rest is dropped.
    pub fn push(&mut self, samples: &[i16]) -> bool {
        let bytes_per_sample = self.encoding.bytes_per_sample();
        let used = self.data_bytes + self.pending.len() as u64;
        let room = (self.max_data_bytes.saturating_sub(used) / bytes_per_sample) as usize;
        let wanted = samples.len();
        let take = wanted.min(room);
        let samples = &samples[..take];
        match self.encoding {
            Encoding::Pcm16 => {
                for s in samples {
                    self.pending.extend_from_slice(&s.to_le_bytes());
                }
            }
            Encoding::Ulaw => self
                .pending
                .extend(samples.iter().map(|&s| linear_to_ulaw(s))),
            Encoding::Alaw => self
                .pending
                .extend(samples.iter().map(|&s| linear_to_alaw(s))),
        }
        take == wanted && room > take
    }

    /// Writes what was pushed, then the header's sizes to match.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.file
            .write_all_at(&self.pending, self.header_len + self.data_bytes)?;
        self.data_bytes += self.pending.len() as u64;
        self.pending.clear();
        let h = header(self.encoding, self.sample_rate, self.data_bytes as u32);
        self.file.write_all_at(&h, 0)
    }

    /// Flushes the rest; the file is complete afterwards.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()
    }
}

// ---- G.711 (ITU-T G.711, as in the reference implementation) -------------------

fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&end| value <= end).unwrap_or(8)
}

pub fn linear_to_ulaw(sample: i16) -> u8 {
    const ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    const CLIP: i32 = 8159;
    const BIAS: i32 = 0x84 >> 2;
    let mut value = i32::from(sample) >> 2;
    let mask: i32 = if value < 0 {
        value = -value;
        0x7F
    } else {
        0xFF
    };
    let value = value.min(CLIP) + BIAS;
    let seg = segment(value, &ENDS);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    ((((seg as i32) << 4) | ((value >> (seg + 1)) & 0xF)) ^ mask) as u8
}

pub fn linear_to_alaw(sample: i16) -> u8 {
    const ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut value = i32::from(sample) >> 3;
    let mask: i32 = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let seg = segment(value, &ENDS);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mantissa = if seg < 2 {
        (value >> 1) & 0xF
    } else {
        (value >> seg) & 0xF
    };
    ((((seg as i32) << 4) | mantissa) ^ mask) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulaw_to_linear(u: u8) -> i32 {
        let u = !u;
        let t = ((i32::from(u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
        if u & 0x80 != 0 {
            0x84 - t
        } else {
            t - 0x84
        }
    }

    fn alaw_to_linear(a: u8) -> i32 {
        let a = a ^ 0x55;
        let mut t = i32::from(a & 0x0F) << 4;
        let seg = (a & 0x70) >> 4;
        match seg {
            0 => t += 8,
            1 => t += 0x108,
            _ => {
                t += 0x108;
                t <<= seg - 1;
            }
        }
        if a & 0x80 != 0 {
            t
        } else {
            -t
        }
    }

    #[test]
    fn g711_round_trips_within_its_step() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let step = (i32::from(s).abs() / 16).max(16);
            let u = ulaw_to_linear(linear_to_ulaw(s));
            let a = alaw_to_linear(linear_to_alaw(s));
            assert!((u - i32::from(s)).abs() <= step + 132, "ulaw {s} -> {u}");
            assert!((a - i32::from(s)).abs() <= step + 16, "alaw {s} -> {a}");
        }
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("sipster-wav-{}-{name}", std::process::id()))
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn header_sizes_follow_every_flush() {
        for (encoding, header_len, bytes_per_sample) in [
            (Encoding::Pcm16, 44usize, 2usize),
            (Encoding::Ulaw, 58, 1),
            (Encoding::Alaw, 58, 1),
        ] {
            let path = temp_path(&format!("{encoding:?}.wav"));
            let mut w = WavWriter::create(&path, encoding, 8000, None).unwrap();
            let empty = std::fs::read(&path).unwrap();
            assert_eq!(empty.len(), header_len);
            assert_eq!(u32_at(&empty, header_len - 4), 0);
            assert!(w.push(&[1000; 160]));
            // Not flushed: the file still reads as empty.
            assert_eq!(std::fs::read(&path).unwrap().len(), header_len);
            w.flush().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let data = 160 * bytes_per_sample;
            assert_eq!(bytes.len(), header_len + data);
            assert_eq!(u32_at(&bytes, 4) as usize, bytes.len() - 8);
            assert_eq!(u32_at(&bytes, header_len - 4) as usize, data);
            if encoding == Encoding::Pcm16 {
                assert_eq!(&bytes[36..40], b"data");
            } else {
                assert_eq!(&bytes[38..42], b"fact");
                assert_eq!(u32_at(&bytes, 46), 160);
            }
            w.finish().unwrap();
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn max_size_bounds_the_whole_file() {
        let path = temp_path("max.wav");
        let mut w = WavWriter::create(&path, Encoding::Pcm16, 8000, Some(44 + 301)).unwrap();
        assert!(w.push(&[1; 100]));
        assert!(!w.push(&[1; 100]));
        w.finish().unwrap();
        // 150 whole samples fit in 301 bytes of data.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 44 + 300);
        std::fs::remove_file(&path).unwrap();
    }
}
