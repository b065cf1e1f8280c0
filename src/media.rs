//! `Media`: a port of the conference bridge: a call's audio stream, a
//! player (file or playlist) or a recorder.
//!
//! Players and recorders live until `close()` (or shutdown), never until
//! the garbage collector runs. A call's stream lives as long as its call.
//! Any media can also be read from and written to by JS as PCM
//! (`openStream`, see audio.rs).

use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use pjsip_sys::{PcmDirection, StreamInfo};

use crate::audio::{AudioStreamHandle, Recorder, CAPTURE_RING_MS};
use crate::call::{self, CallCore};
use crate::error::{ensure_running_or_init, OrThrow, Result, SipsterError};
use crate::keepalive::KeepAlive;
use crate::owned::Owned;
use crate::wav::Encoding;

/// pjmedia_dir as the reference names it, from our side of the call.
fn dir_name(dir: i32) -> &'static str {
    match dir {
        0 => "none",
        1 => "outbound",
        2 => "inbound",
        3 => "bidirectional",
        _ => "unknown",
    }
}

fn record_format(name: &str) -> Result<Encoding> {
    match name.to_ascii_lowercase().as_str() {
        "ulaw" => Ok(Encoding::Ulaw),
        "alaw" => Ok(Encoding::Alaw),
        "pcm" => Ok(Encoding::Pcm16),
        other => Err(SipsterError::invalid_value(format!(
            "createRecorder: format must be 'ulaw', 'alaw' or 'pcm', not '{other}'"
        ))),
    }
}

/// Levels above this only clip; far above it pjmedia's integer scaling
/// overflows and its assertion aborts the process.
const MAX_LEVEL: f64 = 100.0;

fn check_level(what: &str, level: f64) -> Result<f32> {
    if !(0.0..=MAX_LEVEL).contains(&level) {
        return Err(SipsterError::OutOfRange(format!(
            "Media.{what}: level must be from 0 to {MAX_LEVEL} (1.0 = unchanged, 0 = muted), got {level}"
        )));
    }
    Ok(level as f32)
}

/// pjsua asserts (and so aborts) on an empty file name.
fn check_file_name(what: &str, file: &str) -> Result<()> {
    if file.is_empty() {
        return Err(SipsterError::invalid_value(format!(
            "{what}: a file name must not be empty"
        )));
    }
    Ok(())
}

enum Source {
    Stream {
        call: Rc<CallCore>,
        index: u32,
    },
    Player(Owned<pjsip_sys::Player>),
    Recorder(Owned<Recorder>),
    /// A call's stream after `close()`.
    Detached,
}

/// The media of a live call's audio streams, for its `callMedia` event
/// (none once the call has ended).
pub(crate) fn of_call(call_key: u64, streams: &[StreamInfo]) -> Vec<MediaHandle> {
    let Some(core) = call::live(call_key) else {
        return Vec::new();
    };
    streams
        .iter()
        .map(|s| MediaHandle::for_stream(core.clone(), s))
        .collect()
}

#[napi]
pub struct MediaHandle {
    source: Source,
    key: u64,
    kind: &'static str,
    dir: String,
    rtp_addr: String,
    rtcp_addr: String,
    /// A stream's claim on the loop (players and recorders keep theirs in `Owned`).
    keepalive: KeepAlive,
}

impl MediaHandle {
    fn new(source: Source, kind: &'static str, key: u64) -> Self {
        MediaHandle {
            source,
            key,
            kind,
            dir: "none".into(),
            rtp_addr: String::new(),
            rtcp_addr: String::new(),
            keepalive: KeepAlive::default(),
        }
    }

    pub(crate) fn for_stream(call: Rc<CallCore>, stream: &StreamInfo) -> Self {
        MediaHandle {
            dir: dir_name(stream.dir).to_string(),
            rtp_addr: stream.rtp_addr.clone(),
            rtcp_addr: stream.rtcp_addr.clone(),
            ..MediaHandle::new(
                Source::Stream {
                    call,
                    index: stream.index,
                },
                "stream",
                0,
            )
        }
    }

    /// The bridge slot now; errors once the media is closed or its call ended.
    pub(crate) fn slot(&self, what: &str) -> Result<i32> {
        let closed = || SipsterError::invalid_state(format!("Media.{what}: the media is closed"));
        match &self.source {
            Source::Stream { call, index } => call.conf_slot(*index).map_err(|e| match e {
                SipsterError::InvalidState(_) => SipsterError::invalid_state(format!(
                    "Media.{what}: the call of this media has ended"
                )),
                other => other,
            }),
            Source::Player(p) => p.with(closed, |p| Ok(p.conf_slot())),
            Source::Recorder(r) => r.with(closed, |r| {
                r.conf_slot()
                    .map_err(|e| SipsterError::invalid_state(format!("Media.{what}: {e}")))
            }),
            Source::Detached => Err(closed()),
        }
    }

    fn transmit(&self, sink: &MediaHandle, what: &str, connect: bool) -> Result<()> {
        let source = self.slot(what)?;
        let sink = sink.slot(what)?;
        if connect {
            pjsip_sys::conf_connect(source, sink)?;
        } else {
            pjsip_sys::conf_disconnect(source, sink)?;
        }
        Ok(())
    }

    fn adjust(&self, what: &str, tx: bool, level: f64) -> Result<()> {
        let level = check_level(what, level)?;
        let slot = self.slot(what)?;
        Ok(pjsip_sys::conf_adjust_level(slot, tx, level)?)
    }

    fn signal_level(&self, what: &str) -> Result<(u32, u32)> {
        let slot = self.slot(what)?;
        Ok(pjsip_sys::conf_signal_level(slot)?)
    }
}

/// Creates a player of one file, or a playlist of several. Events (`eof`)
/// arrive under the returned media's `key`.
#[napi]
pub fn create_player(
    env: Env,
    files: Vec<String>,
    no_loop: Option<bool>,
) -> napi::Result<MediaHandle> {
    ensure_running_or_init("createPlayer").or_throw(&env)?;
    if files.is_empty() {
        return Err(
            SipsterError::invalid_value("createPlaylist: filenames must not be empty").throw(&env),
        );
    }
    let what = if files.len() > 1 {
        "createPlaylist"
    } else {
        "createPlayer"
    };
    for file in &files {
        check_file_name(what, file).or_throw(&env)?;
    }
    let key = pjsip_sys::next_key();
    let kind = if files.len() > 1 {
        "playlist"
    } else {
        "player"
    };
    let player = pjsip_sys::Player::create(&files, no_loop.unwrap_or(false), key)
        .map_err(|e| player_error(what, &files, e))
        .or_throw(&env)?;
    Ok(MediaHandle::new(
        Source::Player(Owned::new(key, player)),
        kind,
        key,
    ))
}

/// pjmedia's error for a player, naming the file: the one that cannot be
/// read if there is one (with the OS's reason), else all of them.
fn player_error(what: &str, files: &[String], e: pjsip_sys::PjError) -> SipsterError {
    for file in files {
        if let Err(io) = std::fs::File::open(file) {
            return SipsterError::Pjsip {
                status: io
                    .raw_os_error()
                    .map_or(e.status, |n| pjsip_sys::PJ_ERRNO_START_SYS + n),
                message: format!("{what}: cannot read '{file}': {io}"),
            };
        }
    }
    let reason = e
        .message
        .strip_prefix(&format!("{what}: "))
        .unwrap_or(&e.message);
    SipsterError::Pjsip {
        status: e.status,
        message: format!("{what}: '{}': {reason}", files.join("', '")),
    }
}

/// Sample rates a recorder or a PCM stream may use (the bridge resamples).
pub(crate) const SAMPLE_RATES: [u32; 5] = [8000, 16000, 24000, 32000, 48000];

/// Creates a WAV recorder; `maxSize` bounds the file in bytes. G.711 files
/// are at 8000 Hz (the telephone rate), PCM at the bridge's rate, unless
/// `sampleRate` says otherwise.
#[napi]
pub fn create_recorder(
    env: Env,
    file: String,
    format: Option<String>,
    max_size: Option<f64>,
    sample_rate: Option<u32>,
) -> napi::Result<MediaHandle> {
    ensure_running_or_init("createRecorder").or_throw(&env)?;
    check_file_name("createRecorder", &file).or_throw(&env)?;
    let encoding = record_format(format.as_deref().unwrap_or("ulaw")).or_throw(&env)?;
    let max_size = match max_size {
        None => None,
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => {
            Some(n as u64).filter(|&n| n > 0)
        }
        Some(n) => {
            return Err(SipsterError::OutOfRange(format!(
                "createRecorder: maxSize must be a whole number of bytes >= 0, got {n}"
            ))
            .throw(&env))
        }
    };
    let sample_rate = match sample_rate {
        Some(rate) if SAMPLE_RATES.contains(&rate) => rate,
        Some(rate) => {
            return Err(SipsterError::OutOfRange(format!(
                "createRecorder: options.sampleRate must be one of {SAMPLE_RATES:?}, got {rate}"
            ))
            .throw(&env))
        }
        None if encoding == Encoding::Pcm16 => pjsip_sys::media_clock_rate(),
        None => 8000,
    };
    let recorder = Recorder::create(&file, encoding, sample_rate, max_size).or_throw(&env)?;
    let key = pjsip_sys::next_key();
    Ok(MediaHandle::new(
        Source::Recorder(Owned::new(key, recorder)),
        "recorder",
        key,
    ))
}

#[napi]
impl MediaHandle {
    #[napi(getter)]
    pub fn key(&self) -> f64 {
        self.key as f64
    }

    /// `stream`, `player`, `playlist` or `recorder`.
    #[napi(getter)]
    pub fn kind(&self) -> String {
        self.kind.to_string()
    }

    #[napi(getter)]
    pub fn dir(&self) -> String {
        self.dir.clone()
    }

    #[napi(getter)]
    pub fn rtp_addr(&self) -> String {
        self.rtp_addr.clone()
    }

    #[napi(getter)]
    pub fn rtcp_addr(&self) -> String {
        self.rtcp_addr.clone()
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        match &self.source {
            Source::Detached => true,
            Source::Stream { call, .. } => call.has_ended(),
            Source::Player(p) => !p.is_open(),
            Source::Recorder(r) => !r.is_open(),
        }
    }

    #[napi]
    pub fn start_transmit_to(&self, env: Env, sink: &MediaHandle) -> napi::Result<()> {
        self.transmit(sink, "startTransmitTo", true).or_throw(&env)
    }

    #[napi]
    pub fn stop_transmit_to(&self, env: Env, sink: &MediaHandle) -> napi::Result<()> {
        self.transmit(sink, "stopTransmitTo", false).or_throw(&env)
    }

    /// Level of what this media transmits into the bridge (as pjsua2's
    /// AudioMedia): what a player plays, what the far end of a call says.
    #[napi]
    pub fn adjust_tx_level(&self, env: Env, level: f64) -> napi::Result<()> {
        self.adjust("adjustTxLevel", true, level).or_throw(&env)
    }

    /// Level of what this media receives from the bridge: what a recorder
    /// records, what a call sends to its far end.
    #[napi]
    pub fn adjust_rx_level(&self, env: Env, level: f64) -> napi::Result<()> {
        self.adjust("adjustRxLevel", false, level).or_throw(&env)
    }

    /// Last level (0-100) of what this media transmitted into the bridge.
    #[napi(getter)]
    pub fn tx_level(&self, env: Env) -> napi::Result<u32> {
        Ok(self.signal_level("txLevel").or_throw(&env)?.0)
    }

    /// Last level (0-100) of what this media received from the bridge.
    #[napi(getter)]
    pub fn rx_level(&self, env: Env) -> napi::Result<u32> {
        Ok(self.signal_level("rxLevel").or_throw(&env)?.1)
    }

    /// Releases a player or recorder at once (a recorder finishes its
    /// file). For a call's stream it only detaches this object.
    #[napi]
    pub fn close(&mut self) {
        match &self.source {
            Source::Player(p) => p.close(),
            Source::Recorder(r) => r.close(),
            Source::Stream { .. } | Source::Detached => {
                self.source = Source::Detached;
                self.keepalive.release();
            }
        }
    }

    /// A PCM port of this media for JS: `playback` plays what JS writes into
    /// it, else JS reads what the media transmits into the bridge. The
    /// options were checked by index.js; `ring_ms` (playback) defaults to
    /// the capture rings' size.
    #[napi]
    pub fn open_stream(
        &self,
        env: Env,
        playback: bool,
        sample_rate: u32,
        frame_ms: u32,
        ring_ms: Option<u32>,
    ) -> napi::Result<AudioStreamHandle> {
        let ring_ms = ring_ms.unwrap_or(CAPTURE_RING_MS);
        let what = if playback {
            "createWriteStream"
        } else {
            "createReadStream"
        };
        let slot = self.slot(what).or_throw(&env)?;
        let direction = if playback {
            PcmDirection::Playback
        } else {
            PcmDirection::Capture
        };
        let handle =
            AudioStreamHandle::open(direction, (sample_rate, frame_ms, ring_ms)).or_throw(&env)?;
        if let Err(e) = handle.connect(slot) {
            handle.close();
            return Err(e.throw(&env));
        }
        Ok(handle)
    }

    /// Moves a stream onto this media (after a re-INVITE made a new one).
    #[napi]
    pub fn attach_stream(&self, env: Env, stream: &AudioStreamHandle) -> napi::Result<()> {
        let slot = self.slot("attach").or_throw(&env)?;
        stream.connect(slot).or_throw(&env)
    }

    #[napi(js_name = "ref")]
    pub fn hold_loop(&mut self, env: Env) -> napi::Result<()> {
        match &self.source {
            Source::Player(p) => p.hold_loop(&env),
            Source::Recorder(r) => r.hold_loop(&env),
            Source::Stream { call, .. } if !call.has_ended() => self.keepalive.hold(&env),
            _ => Ok(()),
        }
    }

    #[napi]
    pub fn unref(&mut self) {
        match &self.source {
            Source::Player(p) => p.release_loop(),
            Source::Recorder(r) => r.release_loop(),
            _ => self.keepalive.release(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_are_named_from_our_side() {
        assert_eq!(dir_name(1), "outbound");
        assert_eq!(dir_name(2), "inbound");
        assert_eq!(dir_name(3), "bidirectional");
        assert_eq!(dir_name(9), "unknown");
    }

    #[test]
    fn formats_and_levels_are_checked() {
        assert_eq!(record_format("alaw").unwrap(), Encoding::Alaw);
        assert!(matches!(
            record_format("mp3"),
            Err(SipsterError::InvalidValue(_))
        ));
        assert!(check_level("adjustTxLevel", -1.0).is_err());
        assert!(check_level("adjustTxLevel", f64::NAN).is_err());
        assert!(check_level("adjustTxLevel", 1e9).is_err());
        assert!(check_file_name("createPlayer", "").is_err());
        assert_eq!(check_level("adjustTxLevel", 0.5).unwrap(), 0.5);
    }
}
