//! Live audio: PCM streams between the conference bridge and JS, and the
//! recorders' WAV files.
//!
//! Each stream and each recorder owns a `PcmPort`: the shim's own bridge
//! port, with a lock-free ring to the bridge's clock thread. One thread, the
//! pump, services every ring. It sleeps until the clock has moved audio,
//! then moves captured frames to JS or into a recorder's file, and notes how
//! far each playback got. What JS must hear of is gathered into one batch
//! and handed over with one threadsafe-function call: a tick that moved
//! audio for fifty calls costs the event loop one wake-up.
//!
//! The clock thread touches only the rings. The pump and the main thread
//! share a stream through its `Mutex`; neither holds it across a call into
//! pjsua (a port is taken out of the mutex before it is destroyed).

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use pjsip_sys::{PcmDirection, PcmPort, PCM_MAX_FRAMES_PER_READ};

use crate::error::{Result, SipsterError};
use crate::wav::{Encoding, WavWriter};

/// How often a recorder's file is brought up to date (data, then header).
const RECORDER_FLUSH: Duration = Duration::from_millis(500);
/// The pump's sleep when the clock moves nothing (the clock wakes it sooner).
const PUMP_IDLE_WAIT_MS: u32 = 250;
/// A tick's port callbacks come in a burst (several ms with many ports):
/// the pump takes the tick as over once the clock has been quiet this long,
/// so that JS hears of each tick once...
const TICK_QUIET_MS: u32 = 2;
/// ...and never later than this after the tick began.
const TICK_MAX: Duration = Duration::from_millis(12);
/// Rings between the clock and the pump: far more than one tick, so the
/// pump may be late without losing audio.
pub(crate) const CAPTURE_RING_MS: u32 = 1000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind: keep going.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

enum Work {
    /// Captured frames go to JS (gathered in `captured` until the tick ends).
    Capture {
        overruns_reported: u64,
        captured: Vec<u8>,
        dropped: u64,
    },
    /// JS's audio plays; how far it got goes to JS.
    Playback { played_reported: u64 },
    /// Captured frames go to a WAV file.
    Record {
        writer: Option<WavWriter>,
        last_flush: Instant,
        identity: (u64, u64),
    },
}

struct StreamState {
    port: Option<PcmPort>,
    /// The bridge slot this port is connected to (or from).
    peer_slot: Option<i32>,
    work: Work,
}

pub(crate) struct Stream {
    id: u32,
    state: Mutex<StreamState>,
    /// Playback: JS wants to hear how far playback got (it waits for a
    /// 'drain', a mark or the end, or has audio to feed).
    watched: AtomicBool,
}

/// Moves every captured frame out of `port`; `each(frame, carried_audio)`.
fn drain(port: &mut PcmPort, scratch: &mut Vec<i16>, mut each: impl FnMut(&[i16], bool)) {
    let spf = port.samples_per_frame();
    scratch.resize(spf * PCM_MAX_FRAMES_PER_READ, 0);
    loop {
        let read = port.read(scratch);
        if read.frames == 0 {
            break;
        }
        for i in 0..read.frames {
            each(&scratch[i * spf..(i + 1) * spf], read.audio >> i & 1 == 1);
        }
    }
}

impl Stream {
    /// The pump's turn on this stream: moves what the clock produced.
    fn service(&self, scratch: &mut Vec<i16>, now: Instant) {
        let mut state = lock(&self.state);
        let StreamState { port, work, .. } = &mut *state;
        let Some(port) = port.as_mut() else { return };
        match work {
            Work::Capture {
                overruns_reported,
                captured,
                dropped,
            } => {
                drain(port, scratch, |frame, _| {
                    for sample in frame {
                        captured.extend_from_slice(&sample.to_le_bytes());
                    }
                });
                let overruns = port.overruns();
                *dropped += overruns - *overruns_reported;
                *overruns_reported = overruns;
            }
            Work::Playback { .. } => {}
            Work::Record {
                writer, last_flush, ..
            } => {
                record(port, writer, scratch);
                if now.duration_since(*last_flush) >= RECORDER_FLUSH {
                    *last_flush = now;
                    if let Some(w) = writer.as_mut() {
                        if w.flush().is_err() {
                            // A file that cannot be written (disk full,
                            // removed mount) stops recording; what is on
                            // disk stays a valid WAV file.
                            *writer = None;
                        }
                    }
                }
            }
        }
    }

    /// At the end of a tick: what JS must hear of this stream.
    fn collect(&self, batch: &mut Batch) {
        let mut state = lock(&self.state);
        let StreamState { port, work, .. } = &mut *state;
        let Some(port) = port.as_ref() else { return };
        match work {
            Work::Capture {
                captured, dropped, ..
            } => {
                if captured.is_empty() && *dropped == 0 {
                    return;
                }
                batch.audio.extend_from_slice(captured);
                batch.audio_ids.push(self.id);
                batch.audio_ends.push(batch.audio.len() as u32);
                batch.dropped.push(*dropped as u32);
                captured.clear(); // keeps its capacity: no allocation per tick
                *dropped = 0;
            }
            Work::Playback { played_reported } => {
                if !self.watched.load(Ordering::Acquire) {
                    return;
                }
                let played = port.played();
                if played != *played_reported {
                    *played_reported = played;
                    batch.progress_ids.push(self.id);
                    batch.played.push(played as f64);
                }
            }
            Work::Record { .. } => {}
        }
    }

    /// Takes the port out (the pump skips the stream from now on), then
    /// finishes a recorder's file and releases the port.
    fn close(&self) {
        let (port, work) = {
            let mut state = lock(&self.state);
            let port = state.port.take();
            let work = std::mem::replace(&mut state.work, Work::Playback { played_reported: 0 });
            (port, work)
        };
        let Some(mut port) = port else { return };
        if let Work::Record { mut writer, .. } = work {
            record(&mut port, &mut writer, &mut Vec::new());
            if let Some(w) = writer {
                let _ = w.finish();
            }
        }
        drop(port); // removes it from the bridge
    }

    fn is_recording(&self, file: (u64, u64)) -> bool {
        matches!(&lock(&self.state).work, Work::Record { identity, writer: Some(_), .. } if *identity == file)
    }
}

fn record(port: &mut PcmPort, writer: &mut Option<WavWriter>, scratch: &mut Vec<i16>) {
    drain(port, scratch, |frame, carried_audio| {
        // Frames the bridge had nothing for are not recorded, as pjmedia's
        // own recorder does: a recorder left open after its call ended
        // does not grow with silence.
        if let (true, Some(w)) = (carried_audio, writer.as_mut()) {
            w.push(frame);
        }
    });
}

// ---- the pump ----------------------------------------------------------------

/// What the pump has for JS since JS last looked.
#[derive(Default)]
struct Batch {
    audio_ids: Vec<u32>,
    /// Every stream's audio, one after the other: one JS Buffer per batch.
    audio: Vec<u8>,
    /// Where each stream's audio ends in `audio`.
    audio_ends: Vec<u32>,
    dropped: Vec<u32>,
    progress_ids: Vec<u32>,
    played: Vec<f64>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.audio_ids.is_empty() && self.progress_ids.is_empty()
    }

    fn append(&mut self, mut other: Batch) {
        let base = self.audio.len() as u32;
        self.audio_ids.append(&mut other.audio_ids);
        self.audio.append(&mut other.audio);
        self.audio_ends
            .extend(other.audio_ends.iter().map(|end| base + end));
        self.dropped.append(&mut other.dropped);
        self.progress_ids.append(&mut other.progress_ids);
        self.played.append(&mut other.played);
    }
}

/// `(audioIds, audio, audioEnds, dropped, progressIds, played)`: for each
/// capture stream with news, its PCM bytes (`audio` up to `audioEnds[i]`,
/// from the previous end) and the frames its ring dropped; for each watched
/// playback stream that moved, the samples played so far.
pub type AudioArgs = FnArgs<(Vec<u32>, Buffer, Vec<u32>, Vec<u32>, Vec<u32>, Vec<f64>)>;
type Notify = ThreadsafeFunction<(), (), AudioArgs, Status, false, true>;

struct Pump {
    streams: Mutex<Vec<Arc<Stream>>>,
    batch: Mutex<Batch>,
    /// A notification is queued and JS has not taken the batch yet.
    scheduled: AtomicBool,
    notify: OnceLock<Notify>,
    next_id: AtomicU32,
    thread: OnceLock<()>,
}

fn pump() -> &'static Pump {
    static PUMP: OnceLock<Pump> = OnceLock::new();
    PUMP.get_or_init(|| Pump {
        streams: Mutex::new(Vec::new()),
        batch: Mutex::new(Batch::default()),
        scheduled: AtomicBool::new(false),
        notify: OnceLock::new(),
        next_id: AtomicU32::new(1),
        thread: OnceLock::new(),
    })
}

fn run_pump(pump: &'static Pump) {
    let mut scratch = Vec::new();
    loop {
        pjsip_sys::pcm_wait(PUMP_IDLE_WAIT_MS);
        let streams: Vec<Arc<Stream>> = lock(&pump.streams).clone();
        if streams.is_empty() {
            continue;
        }
        // Service until the clock's tick is over, then tell JS once.
        let began = Instant::now();
        loop {
            let now = Instant::now();
            for stream in &streams {
                stream.service(&mut scratch, now);
            }
            if now.duration_since(began) >= TICK_MAX || !pjsip_sys::pcm_wait(TICK_QUIET_MS) {
                break;
            }
        }
        let mut batch = Batch::default();
        for stream in &streams {
            stream.collect(&mut batch);
        }
        if batch.is_empty() {
            continue;
        }
        lock(&pump.batch).append(batch);
        if !pump.scheduled.swap(true, Ordering::AcqRel) {
            let queued = pump
                .notify
                .get()
                .is_some_and(|n| n.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok);
            if !queued {
                // Nothing will take this batch: let the next tick try again
                // rather than leave every stream waiting for good.
                pump.scheduled.store(false, Ordering::Release);
            }
        }
    }
}

fn register(port: PcmPort, work: Work) -> Arc<Stream> {
    let pump = pump();
    pump.thread.get_or_init(|| {
        std::thread::Builder::new()
            .name("sipster-audio".into())
            .spawn(move || run_pump(pump))
            .expect("could not start the audio thread");
    });
    let stream = Arc::new(Stream {
        watched: AtomicBool::new(false),
        id: pump.next_id.fetch_add(1, Ordering::Relaxed),
        state: Mutex::new(StreamState {
            port: Some(port),
            peer_slot: None,
            work,
        }),
    });
    lock(&pump.streams).push(stream.clone());
    stream
}

fn unregister(stream: &Arc<Stream>) {
    lock(&pump().streams).retain(|s| !Arc::ptr_eq(s, stream));
    stream.close();
}

/// At shutdown, before libDestroy: every stream lets go of the bridge and
/// every recorder finishes its file.
pub(crate) fn close_all() {
    let streams = std::mem::take(&mut *lock(&pump().streams));
    for stream in streams {
        stream.close();
    }
}

/// Registers the JS function that receives the pump's batches (index.js
/// does so once, at load). The notification never keeps Node alive.
#[napi]
pub fn audio_handler(callback: Function<AudioArgs, ()>) -> napi::Result<()> {
    let notify: Notify = callback
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|_| {
            let pump = pump();
            pump.scheduled.store(false, Ordering::Release);
            let batch = std::mem::take(&mut *lock(&pump.batch));
            Ok(FnArgs::from((
                batch.audio_ids,
                Buffer::from(batch.audio),
                batch.audio_ends,
                batch.dropped,
                batch.progress_ids,
                batch.played,
            )))
        })?;
    // A second registration keeps the first (index.js registers once).
    let _ = pump().notify.set(notify);
    Ok(())
}

// ---- streams for JS ------------------------------------------------------------

/// The native side of a read or write stream (index.js wraps it in a
/// `stream.Readable` or `stream.Writable`).
#[napi]
pub struct AudioStreamHandle {
    stream: Arc<Stream>,
    playback: bool,
    scratch: Vec<i16>,
}

impl AudioStreamHandle {
    /// `format`: (sample rate, frame ms, ring ms).
    pub(crate) fn open(
        direction: PcmDirection,
        format: (u32, u32, u32),
    ) -> Result<AudioStreamHandle> {
        let playback = direction == PcmDirection::Playback;
        let (sample_rate, frame_ms, ring_ms) = format;
        let port = PcmPort::create(direction, sample_rate, frame_ms, ring_ms)?;
        let work = if playback {
            Work::Playback { played_reported: 0 }
        } else {
            Work::Capture {
                overruns_reported: 0,
                captured: Vec::new(),
                dropped: 0,
            }
        };
        Ok(AudioStreamHandle {
            stream: register(port, work),
            playback,
            scratch: Vec::new(),
        })
    }

    /// Connects the port to the media at `media_slot` (from it when
    /// capturing, to it when playing), first undoing the previous connection.
    pub(crate) fn connect(&self, media_slot: i32) -> Result<()> {
        let (port_slot, previous) = {
            let mut state = lock(&self.stream.state);
            let Some(port) = state.port.as_ref() else {
                return Err(SipsterError::invalid_state("the stream is closed"));
            };
            (port.conf_slot(), state.peer_slot.replace(media_slot))
        };
        let link = |peer: i32| {
            if self.playback {
                (port_slot, peer)
            } else {
                (peer, port_slot)
            }
        };
        if let Some(previous) = previous.filter(|&p| p != media_slot) {
            // The previous media may be gone (a re-INVITE re-creates it).
            let (from, to) = link(previous);
            let _ = pjsip_sys::conf_disconnect(from, to);
        }
        let (from, to) = link(media_slot);
        Ok(pjsip_sys::conf_connect(from, to)?)
    }
}

#[napi]
impl AudioStreamHandle {
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.stream.id
    }

    /// Playback: queues what fits of `pcm` (16-bit little-endian samples)
    /// and returns how many bytes were taken (always even).
    #[napi]
    pub fn write(&mut self, env: Env, pcm: &[u8]) -> napi::Result<u32> {
        if !self.playback {
            return Err(SipsterError::invalid_state("write: this is a read stream").throw(&env));
        }
        self.scratch.clear();
        self.scratch.extend(
            pcm.chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        );
        let mut state = lock(&self.stream.state);
        let Some(port) = state.port.as_mut() else {
            return Err(SipsterError::invalid_state("write: the stream is closed").throw(&env));
        };
        Ok((port.write(&self.scratch) * 2) as u32)
    }

    /// Playback: drops what is queued and not yet played.
    #[napi]
    pub fn clear(&self) {
        if let Some(port) = lock(&self.stream.state).port.as_mut() {
            port.clear();
        }
    }

    /// Playback: whether the audio thread reports how far playback got
    /// (JS turns it on while it waits for a 'drain', a mark or the end, or
    /// has audio to feed; otherwise it reads `played` when it needs it).
    #[napi]
    pub fn watch_progress(&self, on: bool) {
        self.stream.watched.store(on, Ordering::Release);
    }

    /// Playback: samples played (or cleared) so far.
    #[napi(getter)]
    pub fn played(&self) -> f64 {
        lock(&self.stream.state)
            .port
            .as_ref()
            .map_or(0.0, |p| p.played() as f64)
    }

    /// Detaches the port from the bridge. Idempotent.
    #[napi]
    pub fn close(&self) {
        unregister(&self.stream);
    }
}

impl Drop for AudioStreamHandle {
    fn drop(&mut self) {
        // A stream whose JS object was collected without close().
        unregister(&self.stream);
    }
}

// ---- recorders -------------------------------------------------------------------

/// A recorder: a capture port whose frames the pump writes to a WAV file
/// that is complete on disk at every flush.
pub(crate) struct Recorder {
    stream: Arc<Stream>,
}

impl Recorder {
    /// Opens (truncates) `file`. A recorder still writing that same file
    /// is finished first: the newest recorder of a file wins.
    pub(crate) fn create(
        file: &str,
        encoding: Encoding,
        sample_rate: u32,
        max_file_bytes: Option<u64>,
    ) -> Result<Recorder> {
        if let Ok(meta) = std::fs::metadata(file) {
            use std::os::unix::fs::MetadataExt;
            supersede((meta.dev(), meta.ino()));
        }
        let io_error = |e: io::Error| SipsterError::Pjsip {
            status: e.raw_os_error().map_or(pjsip_sys::PJ_EUNKNOWN, |n| {
                pjsip_sys::PJ_ERRNO_START_SYS + n
            }),
            message: format!("createRecorder: cannot write '{file}': {e}"),
        };
        let writer = WavWriter::create(Path::new(file), encoding, sample_rate, max_file_bytes)
            .map_err(io_error)?;
        let identity = writer.identity().map_err(io_error)?;
        let port = PcmPort::create(PcmDirection::Capture, sample_rate, 20, CAPTURE_RING_MS)?;
        let stream = register(
            port,
            Work::Record {
                writer: Some(writer),
                last_flush: Instant::now(),
                identity,
            },
        );
        Ok(Recorder { stream })
    }

    pub(crate) fn conf_slot(&self) -> Result<i32> {
        match lock(&self.stream.state).port.as_ref() {
            Some(port) => Ok(port.conf_slot()),
            None => Err(SipsterError::invalid_state(
                "the recorder was closed, or replaced by a newer recorder of the same file",
            )),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        unregister(&self.stream);
    }
}

fn supersede(file: (u64, u64)) {
    let older: Vec<Arc<Stream>> = lock(&pump().streams)
        .iter()
        .filter(|s| s.is_recording(file))
        .cloned()
        .collect();
    for stream in older {
        unregister(&stream);
    }
}
