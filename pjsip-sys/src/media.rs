//! Players, sipster's PCM ports and the conference bridge.

use std::ffi::c_char;
use std::ptr::{self, NonNull};

use crate::{c_string, check, ffi, Result};

pub struct Player(NonNull<ffi::sipster_player>);

impl Player {
    /// One file plays as a player, several as a playlist.
    pub fn create(files: &[String], no_loop: bool, key: u64) -> Result<Player> {
        let files = files
            .iter()
            .map(|f| c_string("file name", f))
            .collect::<Result<Vec<_>>>()?;
        let ptrs: Vec<*const c_char> = files.iter().map(|f| f.as_ptr()).collect();
        let mut out = ptr::null_mut();
        check(|err| unsafe {
            ffi::sipster_player_create(
                ptrs.as_ptr(),
                ptrs.len(),
                i32::from(no_loop),
                key,
                &mut out,
                err,
            )
        })?;
        Ok(Player(
            NonNull::new(out).expect("shim returned success without a player"),
        ))
    }

    pub fn conf_slot(&self) -> i32 {
        unsafe { ffi::sipster_player_conf_slot(self.0.as_ptr()) }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        unsafe { ffi::sipster_player_destroy(self.0.as_ptr()) }
    }
}

/// Which way audio crosses a PCM port, seen from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcmDirection {
    /// The bridge sends frames in; the caller reads them.
    Capture,
    /// The caller writes samples; the bridge plays them.
    Playback,
}

/// One read of a capture port: `frames` whole frames in the caller's
/// buffer, bit i of `audio` set when frame i carried audio (clear when the
/// bridge had nothing to send and the frame is silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PcmRead {
    pub frames: usize,
    pub audio: u64,
}

/// sipster's own port in the conference bridge, with a lock-free ring to
/// the bridge's clock thread (see `sipster_pcm_port_create`). `&mut self`
/// on the ring operations makes each side single-threaded, as the ring
/// requires; callers share a port through a `Mutex`.
pub struct PcmPort {
    raw: NonNull<ffi::sipster_pcm_port>,
    samples_per_frame: usize,
}

// SAFETY: the shim's port may be used from any thread; its ring needs one
// reader and one writer at a time, which `&mut self` guarantees.
unsafe impl Send for PcmPort {}

/// Most frames one `read` returns (the width of `PcmRead::audio`).
pub const PCM_MAX_FRAMES_PER_READ: usize = 64;

impl PcmPort {
    pub fn create(
        direction: PcmDirection,
        clock_rate: u32,
        frame_ms: u32,
        ring_ms: u32,
    ) -> Result<PcmPort> {
        let direction = match direction {
            PcmDirection::Capture => ffi::sipster_pcm_direction::SIPSTER_PCM_CAPTURE,
            PcmDirection::Playback => ffi::sipster_pcm_direction::SIPSTER_PCM_PLAYBACK,
        };
        let mut out = ptr::null_mut();
        check(|err| unsafe {
            ffi::sipster_pcm_port_create(direction, clock_rate, frame_ms, ring_ms, &mut out, err)
        })?;
        let raw = NonNull::new(out).expect("shim returned success without a port");
        let samples_per_frame = unsafe { ffi::sipster_pcm_port_samples_per_frame(raw.as_ptr()) };
        Ok(PcmPort {
            raw,
            samples_per_frame: samples_per_frame as usize,
        })
    }

    /// The bridge slot, or -1 once the library released the port.
    pub fn conf_slot(&self) -> i32 {
        unsafe { ffi::sipster_pcm_port_conf_slot(self.raw.as_ptr()) }
    }

    pub fn samples_per_frame(&self) -> usize {
        self.samples_per_frame
    }

    /// Capture: moves whole frames into `out` (at most
    /// `PCM_MAX_FRAMES_PER_READ`, and no more than `out` holds).
    pub fn read(&mut self, out: &mut [i16]) -> PcmRead {
        let max_frames = (out.len() / self.samples_per_frame).min(PCM_MAX_FRAMES_PER_READ);
        if max_frames == 0 {
            return PcmRead::default();
        }
        let mut audio = 0u64;
        // SAFETY: `out` has room for max_frames frames; the port is alive.
        let frames = unsafe {
            ffi::sipster_pcm_port_read(self.raw.as_ptr(), out.as_mut_ptr(), max_frames, &mut audio)
        };
        PcmRead { frames, audio }
    }

    /// Capture: frames lost because the ring was full.
    pub fn overruns(&self) -> u64 {
        unsafe { ffi::sipster_pcm_port_overruns(self.raw.as_ptr()) }
    }

    /// Playback: queues what fits; returns how many samples were taken.
    pub fn write(&mut self, samples: &[i16]) -> usize {
        // SAFETY: the slice is valid for its length; the port is alive.
        unsafe { ffi::sipster_pcm_port_write(self.raw.as_ptr(), samples.as_ptr(), samples.len()) }
    }

    /// Playback: drops what is queued and not yet played.
    pub fn clear(&mut self) {
        unsafe { ffi::sipster_pcm_port_clear(self.raw.as_ptr()) }
    }

    /// Playback: samples taken off the queue so far (played or cleared).
    pub fn played(&self) -> u64 {
        unsafe { ffi::sipster_pcm_port_played(self.raw.as_ptr()) }
    }
}

impl Drop for PcmPort {
    fn drop(&mut self) {
        unsafe { ffi::sipster_pcm_port_destroy(self.raw.as_ptr()) }
    }
}

/// Blocks until the bridge's clock moved audio through a PCM port, or
/// `timeout_ms` passed, or `pcm_wake()`; true when audio moved. For one
/// servicing thread only.
pub fn pcm_wait(timeout_ms: u32) -> bool {
    unsafe { ffi::sipster_pcm_wait(timeout_ms) != 0 }
}

/// Ends the servicing thread's current `pcm_wait` at once.
pub fn pcm_wake() {
    unsafe { ffi::sipster_pcm_wake() }
}

pub fn conf_connect(source: i32, sink: i32) -> Result<()> {
    check(|err| unsafe { ffi::sipster_conf_connect(source, sink, err) })
}

pub fn conf_disconnect(source: i32, sink: i32) -> Result<()> {
    check(|err| unsafe { ffi::sipster_conf_disconnect(source, sink, err) })
}

/// Seen from the media, as in pjsua2: `media_tx` adjusts what the slot puts
/// into the bridge, else what the bridge gives it.
pub fn conf_adjust_level(slot: i32, media_tx: bool, level: f32) -> Result<()> {
    check(|err| unsafe { ffi::sipster_conf_adjust_level(slot, i32::from(media_tx), level, err) })
}

/// The slot's last transmitted and received levels (0..100), seen from the media.
pub fn conf_signal_level(slot: i32) -> Result<(u32, u32)> {
    let (mut tx, mut rx) = (0, 0);
    check(|err| unsafe { ffi::sipster_conf_signal_level(slot, &mut tx, &mut rx, err) })?;
    Ok((tx, rx))
}
