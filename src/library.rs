//! Library lifecycle: init, start, shutdown, and the library-wide getters.

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::bridge;
use crate::config::{self, Merger};
use crate::error::{ensure_running_or_init, OrThrow, Result, SipsterError};
use crate::owned;

/// pjsua state names, indexed by `pjsua_state`.
const STATES: &[&str] = &["null", "created", "init", "starting", "running", "closing"];

/// Checks the EpConfig fields that would leave pjsip without a thread to run it.
fn check_threading(user: &Value) -> Result<()> {
    let ua = user.get("uaConfig");
    if ua.and_then(|u| u.get("mainThreadOnly")) == Some(&Value::Bool(true)) {
        return Err(SipsterError::OutOfRange(
            "epConfig: field 'uaConfig.mainThreadOnly' must be false: sipster runs pjsip on its own threads"
                .into(),
        ));
    }
    if let Some(n) = ua.and_then(|u| u.get("threadCnt")).and_then(Value::as_f64) {
        if n < 1.0 {
            return Err(SipsterError::OutOfRange(
                "epConfig: field 'uaConfig.threadCnt' must be at least 1".into(),
            ));
        }
    }
    Ok(())
}

/// The EpConfig JSON for libInit: pjsua2's defaults, the user's fields, and
/// where the user chose no value, a quiet log and `sndAutoCloseTime = -1`:
/// with pjsua2's default (1 s) the idle null sound device stops the bridge
/// clock, and pjproject 2.15 then never carries out queued port removals
/// (ports leak until every call fails with 488).
pub(crate) fn endpoint_config_json(user: &Value) -> Result<String> {
    check_threading(user)?;
    let default = pjsip_sys::default_config("EpConfig")?;
    let merger = Merger {
        name: "epConfig",
        item_templates: None,
    };
    let merged = merger.merge(&default, user)?;
    let mut doc: Value = serde_json::from_str(&merged)
        .map_err(|e| SipsterError::invalid_state(format!("EpConfig JSON: {e}")))?;
    // Defaults of sipster's own where the user gave no value.
    let user_set = |section: &str, field: &str| {
        user.get(section)
            .and_then(|m| m.get(field))
            .is_some_and(|v| !v.is_null())
    };
    let mut default_to = |pointer: &str, value: i64| {
        if let Some(slot) = doc.pointer_mut(pointer) {
            *slot = Value::from(value);
        }
    };
    if !user_set("medConfig", "sndAutoCloseTime") {
        default_to("/EpConfig/MediaConfig/sndAutoCloseTime", -1);
    }
    // pjsua2 prints every SIP message to stdout by default (level 5,
    // console 4); a server wants warnings and errors only.
    if !user_set("logConfig", "level") {
        default_to("/EpConfig/LogConfig/level", QUIET_LOG_LEVEL);
    }
    if !user_set("logConfig", "consoleLevel") {
        default_to("/EpConfig/LogConfig/consoleLevel", QUIET_LOG_LEVEL);
    }
    Ok(doc.to_string())
}

/// pjsip's log level for warnings and errors only.
const QUIET_LOG_LEVEL: i64 = 2;

/// sipster's own options, beside pjsua2's EpConfig.
#[napi(object)]
pub struct SipsterOptions {
    /// Hang up a confirmed call whose audio received no RTP for this many
    /// seconds (pjsua2 has no such timeout). Default: never.
    pub media_timeout_sec: Option<f64>,
    /// Answer new INVITEs with 503 while the media ioqueue has no sockets
    /// for them, instead of letting pjlib abort. Default: on.
    pub admission_guard: Option<bool>,
}

fn apply_options(options: Option<SipsterOptions>) -> Result<()> {
    let options = options.unwrap_or(SipsterOptions {
        media_timeout_sec: None,
        admission_guard: None,
    });
    let timeout = options.media_timeout_sec.unwrap_or(0.0);
    if !timeout.is_finite() || !(0.0..=86400.0).contains(&timeout) {
        return Err(SipsterError::OutOfRange(format!(
            "options.mediaTimeoutSec must be from 0 to 86400 seconds, got {timeout}"
        )));
    }
    pjsip_sys::set_options(
        (timeout * 1000.0).round() as u32,
        options.admission_guard.unwrap_or(true),
    );
    Ok(())
}

/// libCreate + libInit. `config` is the EpConfig-like object without
/// `logConfig.writer`; `log_to_dispatch` says whether log lines go to the
/// `log` handler instead of pjsip's console; `handlers` holds one function
/// per event kind (see `EventHandlers` in bridge.rs).
#[napi]
pub fn init(
    env: &Env,
    config: Option<Value>,
    log_to_dispatch: bool,
    handlers: Object,
    options: Option<SipsterOptions>,
) -> napi::Result<()> {
    if pjsip_sys::lib_state().is_some() {
        return Err(
            SipsterError::invalid_state("init: the library is already initialized").throw(env),
        );
    }
    apply_options(options).or_throw(env)?;
    let json = endpoint_config_json(&config.unwrap_or(Value::Null)).or_throw(env)?;
    let (sink, run_poll) = bridge::event_sink(env, &handlers)?;
    pjsip_sys::lib_init(&json, log_to_dispatch, sink).or_throw(env)?;
    if let Some(thread) = pjsip_sys::LibraryThread::current() {
        let napi_env = pjsip_sys::NapiEnv::from_raw(env.raw().cast());
        pjsip_sys::lib_attach_loop(&thread, napi_env, run_poll);
    }
    Ok(())
}

#[napi]
pub fn start(env: &Env) -> napi::Result<()> {
    ensure_running_or_init("start").or_throw(env)?;
    pjsip_sys::lib_start().or_throw(env)
}

/// Hangs up every call, deletes accounts, players and recorders, and
/// destroys the library (libDestroy). Safe to call more than once.
#[napi]
pub fn shutdown(env: &Env) -> napi::Result<()> {
    let calls = crate::call::forget_all();
    // Recorders finish their files and streams leave the bridge while the
    // library still runs.
    crate::audio::close_all();
    let result = pjsip_sys::lib_destroy();
    crate::call::end_all(calls);
    owned::release_all_owned();
    result.or_throw(env)
}

#[napi(object)]
pub struct VersionInfo {
    pub major: i32,
    pub minor: i32,
    pub rev: i32,
    pub suffix: String,
    pub full: String,
    pub numeric: u32,
}

#[napi]
pub fn version() -> VersionInfo {
    let v = pjsip_sys::version();
    VersionInfo {
        major: v.major,
        minor: v.minor,
        rev: v.rev,
        suffix: v.suffix,
        full: v.full,
        numeric: v.numeric,
    }
}

/// How the pjproject in use was built: what `npx sipster doctor` reports.
#[napi(object)]
pub struct BuildInfoObject {
    /// The pjproject version of the headers sipster was compiled with.
    pub built_against: String,
    /// The linked library's ioqueue (`select`, `epoll`, ...).
    pub ioqueue: String,
    /// PJSUA_MAX_CALLS: `uaConfig.maxCalls` is clamped to it.
    pub max_calls: u32,
    /// PJSUA_MAX_CONF_PORTS: the conference bridge's ports.
    pub max_media_ports: u32,
    /// PJ_IOQUEUE_MAX_HANDLES: sockets one ioqueue watches (2 per call's audio).
    pub ioqueue_max_handles: u32,
    pub tls: bool,
    pub srtp: bool,
}

#[napi]
pub fn build_info() -> BuildInfoObject {
    let b = pjsip_sys::build_info();
    BuildInfoObject {
        built_against: b.built_against,
        ioqueue: b.ioqueue,
        max_calls: b.max_calls,
        max_media_ports: b.max_conf_ports,
        ioqueue_max_handles: b.ioqueue_max_handles,
        tls: b.has_tls,
        srtp: b.has_srtp,
    }
}

/// The whole EpConfig in force, with JS member names.
#[napi]
pub fn config(env: &Env) -> napi::Result<Value> {
    ensure_running_or_init("config").or_throw(env)?;
    let json = pjsip_sys::lib_config().or_throw(env)?;
    config::to_js_shape(&json).or_throw(env)
}

/// pjsua2's default config of `kind` with JS member names.
#[napi]
pub fn default_config(env: &Env, kind: String) -> napi::Result<Value> {
    let json = pjsip_sys::default_config(&kind).or_throw(env)?;
    config::to_js_shape(&json).or_throw(env)
}

#[napi]
pub fn state() -> String {
    match pjsip_sys::lib_state() {
        None => "null".into(),
        Some(s) => STATES.get(s as usize).unwrap_or(&"unknown").to_string(),
    }
}

/// Answers a held transfer or replace request (the `token` its event
/// carried) with `statusCode`; accepting one returns the new call.
#[napi]
pub fn decide_request(
    env: &Env,
    token: f64,
    status_code: i32,
) -> napi::Result<Option<crate::call::CallHandle>> {
    ensure_running_or_init("decideRequest").or_throw(env)?;
    crate::call::decide_request(token as u64, status_code).or_throw(env)
}

#[napi]
pub fn media_active_ports() -> u32 {
    pjsip_sys::media_active_ports()
}

#[napi]
pub fn media_max_ports() -> u32 {
    pjsip_sys::media_max_ports()
}

/// The call limit in force (pjsua clamps `uaConfig.maxCalls` to its
/// compile-time PJSUA_MAX_CALLS).
#[napi]
pub fn max_calls() -> u32 {
    pjsip_sys::max_calls()
}

#[napi]
pub fn call_count() -> u32 {
    pjsip_sys::call_count()
}

/// A codec and its priority (0 disables it).
#[napi(object)]
pub struct CodecObject {
    pub id: String,
    pub priority: u32,
}

/// The codecs, best first.
#[napi]
pub fn codecs(env: &Env) -> napi::Result<Vec<CodecObject>> {
    ensure_running_or_init("codecs").or_throw(env)?;
    let list = pjsip_sys::codecs().or_throw(env)?;
    Ok(list
        .into_iter()
        .map(|(id, priority)| CodecObject {
            id,
            priority: u32::from(priority),
        })
        .collect())
}

/// Sets the priority (0..=255, 0 disables) of every codec whose id starts
/// with `id_prefix`; the SDP offers and answers follow it.
#[napi]
pub fn set_codec_priority(env: &Env, id_prefix: String, priority: u32) -> napi::Result<()> {
    ensure_running_or_init("setCodecPriority").or_throw(env)?;
    if id_prefix.is_empty() {
        return Err(
            SipsterError::invalid_value("setCodecPriority: idOrPrefix must not be empty")
                .throw(env),
        );
    }
    let Ok(priority) = u8::try_from(priority) else {
        return Err(SipsterError::invalid_value(format!(
            "setCodecPriority: priority must be 0 to 255, got {priority}"
        ))
        .throw(env));
    };
    pjsip_sys::set_codec_priority(&id_prefix, priority).or_throw(env)
}

#[napi]
pub fn hangup_all_calls(env: &Env) -> napi::Result<()> {
    ensure_running_or_init("hangupAllCalls").or_throw(env)?;
    pjsip_sys::hangup_all_calls().or_throw(env)
}

#[napi]
pub fn constants() -> HashMap<String, i64> {
    pjsip_sys::constants().into_iter().collect()
}

/// The clock of event timestamps, in ns.
#[napi]
pub fn now_ns() -> f64 {
    pjsip_sys::now_ns() as f64
}

/// When the shim saw the event whose handler runs now (`nowNs()` clock, in
/// ns): what the benchmark measures event latency from.
#[napi]
pub fn delivering_event_ns() -> f64 {
    bridge::delivering_event_ns() as f64
}
