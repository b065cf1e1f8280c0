//! Bindings to sipster's C shim over the system pjsua2.
//!
//! `ffi` is the raw, bindgen-generated interface of `shim/sipster.h`; every
//! `unsafe` block of the project lives in this crate. The rest of this crate
//! wraps it in owned handles that release their native object on `Drop`,
//! and in plain Rust data copied out of the shim's borrowed structs.

use std::ffi::{c_char, c_void, CStr, CString};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::thread;

mod call;
mod events;
mod media;
mod signalling_loop;

pub use call::{interest, Call};
pub use events::{Event, EventKind, EventSink, IncomingCall, LibraryThread};
pub use media::{
    conf_adjust_level, conf_connect, conf_disconnect, conf_signal_level, pcm_wait, pcm_wake,
    PcmDirection, PcmPort, PcmRead, Player, PCM_MAX_FRAMES_PER_READ,
};
pub use signalling_loop::{lib_attach_loop, loop_poll, NapiEnv, PollPhase, PollRunner};

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code
)]
pub mod ffi {
    #[cfg(not(feature = "buildtime_bindgen"))]
    include!("bindings.rs");
    #[cfg(feature = "buildtime_bindgen")]
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

/// A failed shim call: the pjsip status and a message naming the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PjError {
    pub status: i32,
    pub message: String,
}

impl fmt::Display for PjError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (status {})", self.message, self.status)
    }
}

impl std::error::Error for PjError {}

pub type Result<T> = std::result::Result<T, PjError>;

/// pjlib's "invalid argument": a string argument that holds a NUL byte.
pub const PJ_EINVAL: i32 = ffi::SIPSTER_PJ_EINVAL as i32;

/// pjlib's "invalid operation": the library or an object is in the wrong
/// state for it.
pub const PJ_EINVALIDOP: i32 = ffi::SIPSTER_PJ_EINVALIDOP as i32;

/// pjsip's "session already terminated" (sip_errno.h): what the shim and
/// pjsua report for an operation on a call whose dialog has ended.
pub const PJSIP_ESESSIONTERMINATED: i32 = ffi::SIPSTER_PJSIP_ESESSIONTERMINATED as i32;

/// pjlib's "unknown error".
pub const PJ_EUNKNOWN: i32 = ffi::SIPSTER_PJ_EUNKNOWN as i32;

/// pjlib's status for OS error number n is `PJ_ERRNO_START_SYS + n`.
pub const PJ_ERRNO_START_SYS: i32 = ffi::SIPSTER_PJ_ERRNO_START_SYS as i32;

fn new_error() -> ffi::sipster_error {
    ffi::sipster_error {
        status: 0,
        message: [0; 512],
    }
}

/// Runs one shim call with a fresh error out-parameter.
fn check(call: impl FnOnce(*mut ffi::sipster_error) -> i32) -> Result<()> {
    let mut err = new_error();
    let rc = call(&mut err);
    if rc == 0 {
        return Ok(());
    }
    // SAFETY: the shim always NUL-terminates `message` (snprintf).
    let message = unsafe { CStr::from_ptr(err.message.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    Err(PjError {
        status: if err.status != 0 { err.status } else { rc },
        message,
    })
}

fn c_string(what: &str, value: &str) -> Result<CString> {
    CString::new(value).map_err(|_| PjError {
        status: PJ_EINVAL,
        message: format!("{what} must not contain NUL characters"),
    })
}

/// Copies a borrowed C string; null reads as empty.
fn owned(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the shim hands out NUL-terminated strings valid for this call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Takes ownership of a malloc'd string returned by the shim.
fn take_string(p: *mut c_char) -> String {
    let s = owned(p);
    // SAFETY: `p` came from the shim's allocator (or is null) and is not used again.
    unsafe { ffi::sipster_string_free(p) };
    s
}

/// Calls `fill` with a visitor that copies the shim's borrowed struct.
fn visit<Raw, T>(
    convert: fn(&Raw) -> T,
    fill: impl FnOnce(unsafe extern "C" fn(*mut c_void, *const Raw), *mut c_void) -> Result<()>,
) -> Result<T> {
    struct Slot<Raw, T> {
        convert: fn(&Raw) -> T,
        value: Option<T>,
    }
    unsafe extern "C" fn trampoline<Raw, T>(ctx: *mut c_void, raw: *const Raw) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: ctx is the Slot below, raw is valid during this call.
            let slot = unsafe { &mut *(ctx as *mut Slot<Raw, T>) };
            if let Some(raw) = unsafe { raw.as_ref() } {
                slot.value = Some((slot.convert)(raw));
            }
        }));
    }
    let mut slot = Slot::<Raw, T> {
        convert,
        value: None,
    };
    fill(
        trampoline::<Raw, T>,
        &mut slot as *mut Slot<Raw, T> as *mut c_void,
    )?;
    slot.value.ok_or_else(|| PjError {
        status: -1,
        message: "the shim returned no data".into(),
    })
}

// ---- plain data ------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Version {
    pub major: i32,
    pub minor: i32,
    pub rev: i32,
    pub numeric: u32,
    pub suffix: String,
    pub full: String,
}

#[derive(Debug, Clone)]
pub struct TransportInfo {
    pub id: i32,
    pub kind: i32,
    pub type_name: String,
    pub info: String,
    pub flags: u32,
    pub local_address: String,
    pub local_name: String,
    pub usage_count: u32,
}

#[derive(Debug, Clone)]
pub struct AccountInfo {
    pub id: i32,
    pub is_default: bool,
    pub uri: String,
    pub reg_is_configured: bool,
    pub reg_is_active: bool,
    pub reg_expires_sec: i32,
    pub reg_status: i32,
    pub reg_status_text: String,
    pub online_status: bool,
}

/// What a call's state events say: it changes from state to state.
#[derive(Debug, Clone, Default)]
pub struct CallStatus {
    pub state: i32,
    pub state_text: String,
    pub role: i32,
    pub last_status_code: i32,
    pub last_reason: String,
    pub connect_duration: f64,
    pub total_duration: f64,
    pub has_media: bool,
    pub is_active: bool,
}

impl CallStatus {
    fn from_raw(raw: &ffi::sipster_call_info) -> Self {
        CallStatus {
            state: raw.state,
            state_text: owned(raw.state_text),
            role: raw.role,
            last_status_code: raw.last_status_code,
            last_reason: owned(raw.last_reason),
            connect_duration: raw.connect_duration,
            total_duration: raw.total_duration,
            has_media: raw.has_media != 0,
            is_active: raw.is_active != 0,
        }
    }
}

/// Who a call is between. The shim says it about once per call: as
/// `CallIdentity<String>` in full, and in state events as an
/// `IdentityUpdate`, where `None` is "as the call's previous event said".
#[derive(Debug, Clone, Default)]
pub struct CallIdentity<S = String> {
    pub local_uri: S,
    pub local_contact: S,
    pub remote_uri: S,
    pub remote_contact: S,
    pub call_id: S,
    /// Of the INVITE, for incoming calls.
    pub src_address: S,
}

/// The identity strings that changed (see `CallIdentity`).
pub type IdentityUpdate = CallIdentity<Option<String>>;

impl IdentityUpdate {
    /// Nothing changed.
    pub fn is_unchanged(&self) -> bool {
        [
            &self.local_uri,
            &self.local_contact,
            &self.remote_uri,
            &self.remote_contact,
            &self.call_id,
            &self.src_address,
        ]
        .iter()
        .all(|said| said.is_none())
    }

    fn from_raw(raw: &ffi::sipster_call_info) -> Self {
        let said = |p: *const c_char| (!p.is_null()).then(|| owned(p));
        CallIdentity {
            local_uri: said(raw.local_uri),
            local_contact: said(raw.local_contact),
            remote_uri: said(raw.remote_uri),
            remote_contact: said(raw.remote_contact),
            call_id: said(raw.call_id),
            src_address: said(raw.src_address),
        }
    }
}

impl CallIdentity {
    /// Takes what `update` says changed.
    pub fn update(&mut self, update: &IdentityUpdate) {
        let take = |now: &mut String, said: &Option<String>| {
            if let Some(said) = said {
                now.clone_from(said);
            }
        };
        take(&mut self.local_uri, &update.local_uri);
        take(&mut self.local_contact, &update.local_contact);
        take(&mut self.remote_uri, &update.remote_uri);
        take(&mut self.remote_contact, &update.remote_contact);
        take(&mut self.call_id, &update.call_id);
        take(&mut self.src_address, &update.src_address);
    }
}

/// A call's info: its status and its identity.
#[derive(Debug, Clone, Default)]
pub struct CallInfo {
    pub status: CallStatus,
    pub identity: CallIdentity,
}

impl CallInfo {
    fn from_raw(raw: &ffi::sipster_call_info) -> Self {
        let mut identity = CallIdentity::default();
        identity.update(&IdentityUpdate::from_raw(raw));
        CallInfo {
            status: CallStatus::from_raw(raw),
            identity,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StreamInfo {
    pub index: u32,
    pub dir: i32,
    pub status: i32,
    pub conf_slot: i32,
    pub rtp_addr: String,
    pub rtcp_addr: String,
}

/// Optional parameters of a call operation.
#[derive(Debug, Clone, Default)]
pub struct CallOp {
    pub status_code: Option<i32>,
    pub reason: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// `CallOp` lowered to C: owns the strings the raw struct points into.
struct RawCallOp {
    _reason: Option<CString>,
    _strings: Vec<(CString, CString)>,
    _headers: Vec<ffi::sipster_header>,
    raw: ffi::sipster_call_op,
}

impl CallOp {
    fn lower(&self) -> Result<RawCallOp> {
        let reason = self
            .reason
            .as_deref()
            .map(|r| c_string("reason", r))
            .transpose()?;
        let strings = self
            .headers
            .iter()
            .map(|(n, v)| Ok((c_string("header name", n)?, c_string("header value", v)?)))
            .collect::<Result<Vec<_>>>()?;
        let headers: Vec<ffi::sipster_header> = strings
            .iter()
            .map(|(n, v)| ffi::sipster_header {
                name: n.as_ptr(),
                value: v.as_ptr(),
            })
            .collect();
        let raw = ffi::sipster_call_op {
            status_code: self.status_code.unwrap_or(0),
            reason: reason.as_ref().map_or(ptr::null(), |r| r.as_ptr()),
            headers: headers.as_ptr(),
            header_count: headers.len(),
        };
        Ok(RawCallOp {
            _reason: reason,
            _strings: strings,
            _headers: headers,
            raw,
        })
    }
}

// ---- library ---------------------------------------------------------------

pub fn next_key() -> u64 {
    unsafe { ffi::sipster_next_key() }
}

pub fn now_ns() -> i64 {
    unsafe { ffi::sipster_now_ns() }
}

/// pjsua2's default-constructed config of `kind` as pjsua2 JSON.
pub fn default_config(kind: &str) -> Result<String> {
    let kind = c_string("config kind", kind)?;
    let mut out = ptr::null_mut();
    check(|err| unsafe { ffi::sipster_default_config(kind.as_ptr(), &mut out, err) })?;
    Ok(take_string(out))
}

/// libCreate + libInit. The sink lives for the rest of the process (pjsip
/// may log from its threads until the very end).
pub fn lib_init(config_json: &str, log_to_sink: bool, sink: EventSink) -> Result<()> {
    let config = c_string("config", config_json)?;
    let this_thread = thread::current().id();
    if *events::LIBRARY_THREAD.get_or_init(|| this_thread) != this_thread {
        return Err(PjError {
            status: PJ_EINVALIDOP,
            message: "init: the library belongs to the thread that first initialised it".into(),
        });
    }
    let ctx = Box::into_raw(Box::new(sink));
    let result = check(|err| unsafe {
        ffi::sipster_lib_init(
            config.as_ptr(),
            i32::from(log_to_sink),
            Some(events::sink_trampoline),
            ctx as *mut c_void,
            err,
        )
    });
    if result.is_err() {
        // SAFETY: init failed, so the shim dropped its copy of ctx.
        drop(unsafe { Box::from_raw(ctx) });
    }
    result
}

pub fn lib_start() -> Result<()> {
    check(|err| unsafe { ffi::sipster_lib_start(err) })
}

pub fn lib_destroy() -> Result<()> {
    check(|err| unsafe { ffi::sipster_lib_destroy(err) })
}

/// The pjsua state, or `None` before init / after destroy.
pub fn lib_state() -> Option<i32> {
    let state = unsafe { ffi::sipster_lib_state() };
    (state >= 0).then_some(state)
}

pub fn version() -> Version {
    let mut raw = ffi::sipster_version {
        major: 0,
        minor: 0,
        rev: 0,
        numeric: 0,
        suffix: ptr::null(),
        full: ptr::null(),
    };
    unsafe { ffi::sipster_lib_version(&mut raw) };
    Version {
        major: raw.major,
        minor: raw.minor,
        rev: raw.rev,
        numeric: raw.numeric,
        suffix: owned(raw.suffix),
        full: owned(raw.full),
    }
}

pub fn lib_config() -> Result<String> {
    let mut out = ptr::null_mut();
    check(|err| unsafe { ffi::sipster_lib_config(&mut out, err) })?;
    Ok(take_string(out))
}

pub fn media_active_ports() -> u32 {
    unsafe { ffi::sipster_media_active_ports() }
}

pub fn media_max_ports() -> u32 {
    unsafe { ffi::sipster_media_max_ports() }
}

/// The conference bridge's clock rate in Hz.
pub fn media_clock_rate() -> u32 {
    unsafe { ffi::sipster_media_clock_rate() }
}

pub fn max_calls() -> u32 {
    unsafe { ffi::sipster_max_calls() }
}

pub fn call_count() -> u32 {
    unsafe { ffi::sipster_call_count() }
}

pub fn hangup_all_calls() -> Result<()> {
    check(|err| unsafe { ffi::sipster_hangup_all_calls(err) })
}

/// How the pjproject sipster was compiled against was configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub built_against: String,
    pub ioqueue: String,
    pub max_calls: u32,
    pub max_conf_ports: u32,
    pub ioqueue_max_handles: u32,
    pub has_tls: bool,
    pub has_srtp: bool,
}

pub fn build_info() -> BuildInfo {
    let mut raw = std::mem::MaybeUninit::<ffi::sipster_build_info>::zeroed();
    // SAFETY: the shim fills every field; its strings are static.
    let raw = unsafe {
        ffi::sipster_build_info_get(raw.as_mut_ptr());
        raw.assume_init()
    };
    BuildInfo {
        built_against: owned(raw.built_against),
        ioqueue: owned(raw.ioqueue),
        max_calls: raw.max_calls,
        max_conf_ports: raw.max_conf_ports,
        ioqueue_max_handles: raw.ioqueue_max_handles,
        has_tls: raw.has_tls != 0,
        has_srtp: raw.has_srtp != 0,
    }
}

/// Decides on a held request (`EventKind::TransferRequest` or
/// `ReplaceRequest`): a status >= 300 declines it; 202 (REFER) or 200
/// (Replaces) accepts it and gives the new call, which reports events under
/// `new_call_key`. On the library's thread only: the new call is used there.
pub fn decide_held_request(
    _on: &LibraryThread,
    token: u64,
    status_code: i32,
    new_call_key: u64,
) -> Result<Option<Call>> {
    let mut out = ptr::null_mut();
    check(|err| unsafe {
        ffi::sipster_held_request_decide(token, status_code, new_call_key, &mut out, err)
    })?;
    Ok(NonNull::new(out).map(Call))
}

// ---- transport -------------------------------------------------------------

pub struct Transport(NonNull<ffi::sipster_transport>);

impl Transport {
    pub fn create(kind: i32, config_json: &str) -> Result<Transport> {
        let config = c_string("config", config_json)?;
        let mut out = ptr::null_mut();
        check(|err| unsafe {
            ffi::sipster_transport_create(kind, config.as_ptr(), &mut out, err)
        })?;
        Ok(Transport(
            NonNull::new(out).expect("shim returned success without a transport"),
        ))
    }

    pub fn id(&self) -> i32 {
        unsafe { ffi::sipster_transport_id(self.0.as_ptr()) }
    }

    pub fn info(&self) -> Result<TransportInfo> {
        visit(
            |raw: &ffi::sipster_transport_info| TransportInfo {
                id: raw.id,
                kind: raw.type_,
                type_name: owned(raw.type_name),
                info: owned(raw.info),
                flags: raw.flags,
                local_address: owned(raw.local_address),
                local_name: owned(raw.local_name),
                usage_count: raw.usage_count,
            },
            |f, ctx| {
                check(|err| unsafe {
                    ffi::sipster_transport_get_info(self.0.as_ptr(), Some(f), ctx, err)
                })
            },
        )
    }

    pub fn set_enabled(&self, enabled: bool) -> Result<()> {
        check(|err| unsafe {
            ffi::sipster_transport_set_enabled(self.0.as_ptr(), i32::from(enabled), err)
        })
    }

    pub fn is_enabled(&self) -> bool {
        unsafe { ffi::sipster_transport_is_enabled(self.0.as_ptr()) != 0 }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        unsafe { ffi::sipster_transport_destroy(self.0.as_ptr()) }
    }
}

// ---- account ---------------------------------------------------------------

pub struct Account(NonNull<ffi::sipster_account>);

impl Account {
    pub fn create(config_json: &str, make_default: bool, key: u64) -> Result<Account> {
        let config = c_string("config", config_json)?;
        let mut out = ptr::null_mut();
        check(|err| unsafe {
            ffi::sipster_account_create(
                config.as_ptr(),
                i32::from(make_default),
                key,
                &mut out,
                err,
            )
        })?;
        Ok(Account(
            NonNull::new(out).expect("shim returned success without an account"),
        ))
    }

    pub fn modify(&self, config_json: &str) -> Result<()> {
        let config = c_string("config", config_json)?;
        check(|err| unsafe { ffi::sipster_account_modify(self.0.as_ptr(), config.as_ptr(), err) })
    }

    pub fn info(&self) -> Result<AccountInfo> {
        visit(
            |raw: &ffi::sipster_account_info| AccountInfo {
                id: raw.id,
                is_default: raw.is_default != 0,
                uri: owned(raw.uri),
                reg_is_configured: raw.reg_is_configured != 0,
                reg_is_active: raw.reg_is_active != 0,
                reg_expires_sec: raw.reg_expires_sec,
                reg_status: raw.reg_status,
                reg_status_text: owned(raw.reg_status_text),
                online_status: raw.online_status != 0,
            },
            |f, ctx| {
                check(|err| unsafe {
                    ffi::sipster_account_get_info(self.0.as_ptr(), Some(f), ctx, err)
                })
            },
        )
    }

    pub fn set_registration(&self, renew: bool) -> Result<()> {
        check(|err| unsafe {
            ffi::sipster_account_set_registration(self.0.as_ptr(), i32::from(renew), err)
        })
    }

    pub fn set_transport(&self, transport: &Transport) -> Result<()> {
        check(|err| unsafe {
            ffi::sipster_account_set_transport(self.0.as_ptr(), transport.0.as_ptr(), err)
        })
    }

    pub fn set_default(&self) -> Result<()> {
        check(|err| unsafe { ffi::sipster_account_set_default(self.0.as_ptr(), err) })
    }

    /// Which optional events the shim reports for this account
    /// (`interest::ACCOUNT_*` bits).
    pub fn set_interest(&self, mask: u32) {
        unsafe { ffi::sipster_account_set_interest(self.0.as_ptr(), mask) }
    }

    pub fn is_default(&self) -> bool {
        unsafe { ffi::sipster_account_is_default(self.0.as_ptr()) != 0 }
    }

    pub fn is_valid(&self) -> bool {
        unsafe { ffi::sipster_account_is_valid(self.0.as_ptr()) != 0 }
    }

    pub fn make_call(&self, dest_uri: &str, op: &CallOp, call_key: u64) -> Result<Call> {
        let dest = c_string("destination", dest_uri)?;
        let op = op.lower()?;
        let mut out = ptr::null_mut();
        check(|err| unsafe {
            ffi::sipster_account_make_call(
                self.0.as_ptr(),
                dest.as_ptr(),
                &op.raw,
                call_key,
                &mut out,
                err,
            )
        })?;
        Ok(Call(
            NonNull::new(out).expect("shim returned success without a call"),
        ))
    }

    /// Sends an out-of-dialog MESSAGE with the headers of `op`; its final
    /// response comes as `EventKind::MessageStatus` with this `token`.
    pub fn send_message(
        &self,
        to: &str,
        content_type: &str,
        body: &str,
        op: &CallOp,
        token: u64,
    ) -> Result<()> {
        let to = c_string("uri", to)?;
        let content_type = c_string("contentType", content_type)?;
        let body = c_string("body", body)?;
        let op = op.lower()?;
        check(|err| unsafe {
            ffi::sipster_account_send_message(
                self.0.as_ptr(),
                to.as_ptr(),
                content_type.as_ptr(),
                body.as_ptr(),
                op.raw.headers,
                op.raw.header_count,
                token,
                err,
            )
        })
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        unsafe { ffi::sipster_account_destroy(self.0.as_ptr()) }
    }
}

/// A `sipster_constant_visitor` that appends to the `Vec<(String, i64)>` at ctx.
unsafe extern "C" fn collect_named(ctx: *mut c_void, name: *const c_char, value: i64) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: ctx is a Vec<(String, i64)>; name is valid during this call.
        let out = unsafe { &mut *(ctx as *mut Vec<(String, i64)>) };
        out.push((owned(name), value));
    }));
}

/// The library constants that configs use, by their pjsip names.
pub fn constants() -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    unsafe { ffi::sipster_constants(Some(collect_named), &mut out as *mut _ as *mut c_void) };
    out
}

/// The codecs, best first: (pjsua2 codec id, priority 0..255).
pub fn codecs() -> Result<Vec<(String, u8)>> {
    let mut out: Vec<(String, i64)> = Vec::new();
    check(|err| unsafe {
        ffi::sipster_codecs(Some(collect_named), &mut out as *mut _ as *mut c_void, err)
    })?;
    Ok(out
        .into_iter()
        .map(|(id, p)| (id, p.clamp(0, 255) as u8))
        .collect())
}

/// Sets the priority of every codec whose id starts with `id_prefix`.
pub fn set_codec_priority(id_prefix: &str, priority: u8) -> Result<()> {
    let id = c_string("id", id_prefix)?;
    check(|err| unsafe { ffi::sipster_codec_set_priority(id.as_ptr(), priority, err) })
}

/// sipster's own options (see `sipster_set_options` in the shim header).
pub fn set_options(media_timeout_ms: u32, admission_guard: bool) {
    unsafe { ffi::sipster_set_options(media_timeout_ms, i32::from(admission_guard)) }
}

/// The shipped bindings (src/bindings.rs) must be what bindgen makes of the
/// shim's header today: `npm run bindings` updates them.
#[cfg(all(test, feature = "buildtime_bindgen"))]
mod shipped_bindings {
    #[test]
    fn match_the_header() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/bindings.rs"));
        let shipped = include_str!("bindings.rs");
        assert!(
            generated == shipped,
            "pjsip-sys/src/bindings.rs is stale: run `npm run bindings` and commit it"
        );
    }
}
