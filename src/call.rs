//! `Call`: one SIP dialog, incoming or outgoing.
//!
//! The native call lives exactly as long as the dialog: it is released when
//! its `disconnected` state is delivered, never by the garbage collector.
//! The JS object may live on; its getters then answer from the last state
//! and its methods throw.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use pjsip_sys::{interest, CallInfo, CallOp, CallStatus, IdentityUpdate};

use crate::error::{OrThrow, Result, SipsterError};
use crate::keepalive::KeepAlive;

/// pjsip_inv_state names, indexed by state.
const STATES: &[&str] = &[
    "null",
    "calling",
    "incoming",
    "early",
    "connecting",
    "confirmed",
    "disconnected",
];
const DISCONNECTED: i32 = 6;

pub(crate) fn state_name(state: i32) -> &'static str {
    STATES.get(state as usize).copied().unwrap_or("unknown")
}

/// pjsip_role_e as JS sees it: `uac` for calls we placed, `uas` for calls
/// we received.
pub(crate) fn role_name(role: i32) -> &'static str {
    if role == 0 {
        "uac"
    } else {
        "uas"
    }
}

/// The shim's interest bit of each JS call event that it sends only while
/// listened to: `state` wants every state, a state's own name that state,
/// `dtmf`, `transferStatus`, `info` and `transferRequest` theirs. JS ORs the
/// bits of its listeners (`callInterestBits()`); the end of the call is
/// always wanted (`listen_to`).
fn interest_bits() -> Vec<(&'static str, u32)> {
    let every_state = (0..STATES.len() as u32).fold(0, |mask, s| mask | interest::state(s));
    let mut bits = vec![
        ("state", every_state),
        ("dtmf", interest::DTMF),
        ("transferStatus", interest::TRANSFER_STATUS),
        ("info", interest::INFO),
        ("transferRequest", interest::TRANSFER_REQUEST),
    ];
    for (state, name) in STATES.iter().enumerate() {
        bits.push((name, interest::state(state as u32)));
    }
    bits
}

/// A table of interest bits as JS gets it: by event name. For the tables
/// of Call and Account.
pub fn interest_by_name(
    table: impl IntoIterator<Item = (&'static str, u32)>,
) -> HashMap<String, u32> {
    table
        .into_iter()
        .map(|(name, bit)| (name.to_string(), bit))
        .collect()
}

/// The interest bits by JS event name, for Call's listener tracking.
#[napi]
pub fn call_interest_bits() -> HashMap<String, u32> {
    interest_by_name(interest_bits())
}

/// What the shim is told for the listeners' bits: those, and the end of the call.
fn interest_mask(listened: u32) -> u32 {
    listened | interest::state(DISCONNECTED as u32)
}

/// `text` with `indent` before each line.
fn indent_lines(text: &str, indent: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| format!("{indent}{line}"))
        .collect()
}

/// What a `Call` shares with the registry and with its media.
pub(crate) struct CallCore {
    key: u64,
    native: RefCell<Option<pjsip_sys::Call>>,
    last_info: RefCell<CallInfo>,
    /// getStatsDump() text at the end (with media, without), kept once the
    /// native call is released.
    final_stats: RefCell<Option<(String, String)>>,
    keepalive: RefCell<KeepAlive>,
    /// The interest mask last given to the shim (`listen_to`).
    interest: Cell<u32>,
}

impl CallCore {
    fn native<T>(
        &self,
        what: &str,
        op: impl FnOnce(&pjsip_sys::Call) -> pjsip_sys::Result<T>,
    ) -> Result<T> {
        let native = self.native.borrow();
        let ended = || SipsterError::invalid_state(format!("Call.{what}: the call has ended"));
        match native.as_ref() {
            // The far end may hang up before the 'disconnected' event is
            // delivered here: the shim (or pjsua) knows, and the error is
            // the same as after the event.
            Some(call) => op(call).map_err(|e| {
                if e.status == pjsip_sys::PJSIP_ESESSIONTERMINATED || call.is_finished() {
                    ended()
                } else {
                    e.into()
                }
            }),
            None => Err(ended()),
        }
    }

    /// Fresh info while the call is up, the last known afterwards.
    fn info(&self) -> CallInfo {
        let fresh = self
            .native
            .borrow()
            .as_ref()
            .and_then(|call| call.info().ok());
        match fresh {
            Some(info) => {
                *self.last_info.borrow_mut() = info.clone();
                info
            }
            None => self.last_info.borrow().clone(),
        }
    }

    pub(crate) fn conf_slot(&self, media_index: u32) -> Result<i32> {
        self.native("media", |call| call.conf_slot(media_index))
    }

    pub(crate) fn has_ended(&self) -> bool {
        self.native.borrow().is_none()
    }
}

thread_local! {
    /// Calls whose dialog is up, by key: events find their call here.
    static LIVE: RefCell<HashMap<u64, Rc<CallCore>>> = RefCell::new(HashMap::new());
}

fn register(key: u64, native: pjsip_sys::Call, info: CallInfo) -> CallHandle {
    let core = Rc::new(CallCore {
        key,
        native: RefCell::new(Some(native)),
        last_info: RefCell::new(info),
        final_stats: RefCell::new(None),
        keepalive: RefCell::new(KeepAlive::default()),
        interest: Cell::new(interest::ALL),
    });
    LIVE.with(|live| live.borrow_mut().insert(key, core.clone()));
    CallHandle { core }
}

pub(crate) fn live(key: u64) -> Option<Rc<CallCore>> {
    LIVE.with(|live| live.borrow().get(&key).cloned())
}

pub(crate) fn adopt_incoming(key: u64, native: pjsip_sys::Call, info: &CallInfo) -> CallHandle {
    register(key, native, info.clone())
}

/// Answers a held REFER or INVITE with Replaces (`token` of its event) with
/// `status_code`; an accepted one gives the new call.
pub(crate) fn decide_request(token: u64, status_code: i32) -> Result<Option<CallHandle>> {
    let Some(thread) = pjsip_sys::LibraryThread::current() else {
        return Err(SipsterError::invalid_state(
            "answer the request: only on the thread that called init()",
        ));
    };
    let key = pjsip_sys::next_key();
    let op = if status_code < 300 {
        "accept"
    } else {
        "reject"
    };
    let native = pjsip_sys::decide_held_request(&thread, token, status_code, key).map_err(|e| {
        let message = format!("{op}: {}", e.message);
        if e.status == pjsip_sys::PJ_EINVALIDOP {
            SipsterError::invalid_state(message)
        } else {
            SipsterError::Pjsip {
                status: e.status,
                message,
            }
        }
    })?;
    Ok(native.map(|native| register(key, native, CallInfo::default())))
}

pub(crate) fn place(
    account: &pjsip_sys::Account,
    destination: &str,
    op: &CallOp,
) -> Result<CallHandle> {
    let key = pjsip_sys::next_key();
    let native = account.make_call(destination, op, key)?;
    Ok(register(key, native, CallInfo::default()))
}

/// Records a state change; on `disconnected` the native call is released.
/// Whether JS should hear of it: a state copied before the listeners were
/// known (while the 'call' handler ran) that no listener wants now is not
/// delivered, unless it says something new of the call's identity.
pub(crate) fn apply_state(key: u64, status: &CallStatus, identity: &IdentityUpdate) -> bool {
    let Some(core) = live(key) else { return true };
    let wanted = status.state == DISCONNECTED
        || core.interest.get() & interest::state(status.state as u32) != 0
        || !identity.is_unchanged();
    {
        let mut last = core.last_info.borrow_mut();
        last.status.clone_from(status);
        last.identity.update(identity);
    }
    if status.state == DISCONNECTED {
        LIVE.with(|live| live.borrow_mut().remove(&key));
        if let Some(native) = core.native.borrow_mut().take() {
            *core.final_stats.borrow_mut() = native.final_stats();
        }
        core.keepalive.borrow_mut().release();
    }
    wanted
}

/// At shutdown, before libDestroy: the registry lets go of the calls still
/// up (libDestroy hangs them up) and hands them to `end_all`.
pub(crate) fn forget_all() -> Vec<Rc<CallCore>> {
    let cores: Vec<_> = LIVE.with(|live| live.borrow_mut().drain().map(|(_, c)| c).collect());
    for core in &cores {
        core.keepalive.borrow_mut().release();
    }
    cores
}

/// After libDestroy: those calls are ended like any other (their
/// 'disconnected' can no longer be delivered), so that their methods throw
/// "the call has ended" instead of reaching a library that is gone. The
/// native calls are released here, once pjsua is destroyed, as the shim
/// requires (see sipster_lib_destroy).
pub(crate) fn end_all(cores: Vec<Rc<CallCore>>) {
    for core in cores {
        core.last_info.borrow_mut().status.state = DISCONNECTED;
        core.native.borrow_mut().take();
    }
}

pub(crate) fn call_op(
    status_code: Option<u32>,
    reason: Option<String>,
    headers: Option<HashMap<String, String>>,
) -> Result<CallOp> {
    let headers: Vec<(String, String)> = headers.unwrap_or_default().into_iter().collect();
    for (name, value) in &headers {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!%*+`'~".contains(c));
        if !valid {
            return Err(SipsterError::invalid_value(format!(
                "headers: '{name}' is not a valid SIP header name"
            )));
        }
        // pjsip prints the value as it is: a CR or LF would end the header
        // there and put whatever follows on the wire as headers of its own.
        if value.contains(['\r', '\n', '\0']) {
            return Err(SipsterError::invalid_value(format!(
                "headers: the value of '{name}' must not contain CR, LF or NUL"
            )));
        }
    }
    // Same for the reason phrase, printed at the end of the status line.
    if reason
        .as_deref()
        .is_some_and(|r| r.contains(['\r', '\n', '\0']))
    {
        return Err(SipsterError::invalid_value(
            "reason must not contain CR, LF or NUL",
        ));
    }
    Ok(CallOp {
        status_code: status_code.map(|c| c as i32),
        reason,
        headers,
    })
}

/// A destination URI goes into the Request-URI, To or Refer-To: empty or
/// with a line break it is refused (pjsip copies Refer-To verbatim, so a
/// CR/LF there would put text of the caller's on the wire as headers).
pub(crate) fn check_destination(what: &str, destination: &str) -> Result<()> {
    if destination.trim().is_empty() {
        return Err(SipsterError::invalid_value(format!(
            "{what}: destination must be a SIP URI, got ''"
        )));
    }
    if destination.contains(['\r', '\n', '\0']) {
        return Err(SipsterError::invalid_value(format!(
            "{what}: destination must not contain CR, LF or NUL"
        )));
    }
    Ok(())
}

/// A body's MIME type goes into a header line as given.
pub(crate) fn check_content_type(field: &str, content_type: &str) -> Result<()> {
    if content_type.is_empty() || content_type.contains(['\r', '\n', '\0']) {
        return Err(SipsterError::invalid_value(format!(
            "{field} must be a MIME type such as 'text/plain', got '{content_type}'"
        )));
    }
    Ok(())
}

fn check_code(what: &str, code: Option<u32>, range: std::ops::RangeInclusive<u32>) -> Result<()> {
    match code {
        Some(c) if !range.contains(&c) => Err(SipsterError::OutOfRange(format!(
            "Call.{what}: statusCode must be from {} to {}, got {c}",
            range.start(),
            range.end()
        ))),
        _ => Ok(()),
    }
}

#[napi(object)]
pub struct CallInfoObject {
    pub state: String,
    pub state_text: String,
    /// `uac` for calls we placed, `uas` for calls we received.
    pub role: String,
    pub last_status_code: i32,
    pub last_reason: String,
    pub local_uri: String,
    pub local_contact: String,
    pub remote_uri: String,
    pub remote_contact: String,
    pub call_id: String,
    pub src_address: String,
    pub conn_duration: f64,
    pub total_duration: f64,
    pub has_media: bool,
    pub is_active: bool,
}

impl From<&CallInfo> for CallInfoObject {
    fn from(info: &CallInfo) -> Self {
        let (status, identity) = (&info.status, &info.identity);
        CallInfoObject {
            state: state_name(status.state).to_string(),
            state_text: status.state_text.clone(),
            role: role_name(status.role).to_string(),
            last_status_code: status.last_status_code,
            last_reason: status.last_reason.clone(),
            local_uri: identity.local_uri.clone(),
            local_contact: identity.local_contact.clone(),
            remote_uri: identity.remote_uri.clone(),
            remote_contact: identity.remote_contact.clone(),
            call_id: identity.call_id.clone(),
            src_address: identity.src_address.clone(),
            conn_duration: status.connect_duration,
            total_duration: status.total_duration,
            has_media: status.has_media,
            is_active: status.is_active,
        }
    }
}

/// How `Call.dtmf` sends its digits.
#[napi(object)]
#[derive(Default)]
pub struct DtmfOptions {
    /// `'rfc2833'` (in the audio, the default) or `'info'` (SIP INFO).
    pub method: Option<String>,
    /// Milliseconds per digit; pjsua's default when absent.
    pub duration: Option<u32>,
}

/// Optional parameters of answer/hangup and the re-INVITE family.
#[napi(object)]
pub struct CallOpOptions {
    pub headers: Option<HashMap<String, String>>,
}

/// The op of answer/hangup: a status code in `range`, a reason, headers.
fn response_op(
    what: &str,
    status_code: Option<u32>,
    range: std::ops::RangeInclusive<u32>,
    reason: Option<String>,
    options: Option<CallOpOptions>,
) -> Result<CallOp> {
    check_code(what, status_code, range)?;
    call_op(status_code, reason, options.and_then(|o| o.headers))
}

/// The op of the re-INVITE family and REFER: headers only.
fn headers_op(options: Option<CallOpOptions>) -> Result<CallOp> {
    call_op(None, None, options.and_then(|o| o.headers))
}

#[napi]
pub struct CallHandle {
    core: Rc<CallCore>,
}

#[napi]
impl CallHandle {
    #[napi(getter)]
    pub fn key(&self) -> f64 {
        self.core.key as f64
    }

    #[napi]
    pub fn answer(
        &self,
        env: Env,
        status_code: Option<u32>,
        reason: Option<String>,
        options: Option<CallOpOptions>,
    ) -> napi::Result<()> {
        let op = response_op("answer", status_code, 100..=699, reason, options).or_throw(&env)?;
        self.core.native("answer", |c| c.answer(&op)).or_throw(&env)
    }

    #[napi]
    pub fn hangup(
        &self,
        env: Env,
        status_code: Option<u32>,
        reason: Option<String>,
        options: Option<CallOpOptions>,
    ) -> napi::Result<()> {
        let op = response_op("hangup", status_code, 200..=699, reason, options).or_throw(&env)?;
        self.core.native("hangup", |c| c.hangup(&op)).or_throw(&env)
    }

    #[napi]
    pub fn hold(&self, env: Env, options: Option<CallOpOptions>) -> napi::Result<()> {
        let op = headers_op(options).or_throw(&env)?;
        self.core.native("hold", |c| c.hold(&op)).or_throw(&env)
    }

    /// Re-INVITE that also releases a hold.
    #[napi]
    pub fn reinvite(&self, env: Env, options: Option<CallOpOptions>) -> napi::Result<()> {
        let op = headers_op(options).or_throw(&env)?;
        self.core
            .native("reinvite", |c| c.reinvite(&op))
            .or_throw(&env)
    }

    #[napi]
    pub fn update(&self, env: Env, options: Option<CallOpOptions>) -> napi::Result<()> {
        let op = headers_op(options).or_throw(&env)?;
        self.core.native("update", |c| c.update(&op)).or_throw(&env)
    }

    #[napi]
    pub fn transfer(
        &self,
        env: Env,
        destination: String,
        options: Option<CallOpOptions>,
    ) -> napi::Result<()> {
        check_destination("Call.transfer", &destination).or_throw(&env)?;
        let op = headers_op(options).or_throw(&env)?;
        self.core
            .native("transfer", |c| c.transfer(&destination, &op))
            .or_throw(&env)
    }

    /// Attended transfer: asks this call's peer to call `other`'s peer with
    /// a Replaces of `other`'s dialog.
    #[napi]
    pub fn transfer_replaces(
        &self,
        env: Env,
        other: &CallHandle,
        options: Option<CallOpOptions>,
    ) -> napi::Result<()> {
        let op = headers_op(options).or_throw(&env)?;
        let other_native = other.core.native.borrow();
        let Some(other_native) = other_native.as_ref() else {
            return Err(SipsterError::invalid_state(
                "Call.transfer: the call to be replaced has ended",
            )
            .throw(&env));
        };
        self.core
            .native("transfer", |c| c.transfer_replaces(other_native, &op))
            .or_throw(&env)
    }

    /// Sends DTMF digits, in the RTP stream (RFC 2833, the default) or as
    /// SIP INFO requests (`method: 'info'`).
    #[napi]
    pub fn dtmf(&self, env: Env, digits: String, options: Option<DtmfOptions>) -> napi::Result<()> {
        let valid = !digits.is_empty()
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || "*#ABCDabcd".contains(c));
        if !valid {
            return Err(SipsterError::invalid_value(format!(
                "Call.dtmf: digits must be 0-9, *, # or A-D, got '{digits}'"
            ))
            .throw(&env));
        }
        let options = options.unwrap_or_default();
        let by_info = match options.method.as_deref() {
            None | Some("rfc2833") => false,
            Some("info") => true,
            Some(other) => {
                return Err(SipsterError::invalid_value(format!(
                    "Call.dtmf: options.method must be 'rfc2833' or 'info', got '{other}'"
                ))
                .throw(&env))
            }
        };
        let duration_ms = options.duration.unwrap_or(0);
        self.core
            .native("dtmf", |c| c.dial_dtmf(&digits, by_info, duration_ms))
            .or_throw(&env)
    }

    /// Sends an INFO in the call's dialog; returns the token that its final
    /// response's `infoStatus` event carries.
    #[napi]
    pub fn send_info(
        &self,
        env: Env,
        content_type: String,
        body: String,
        headers: Option<HashMap<String, String>>,
    ) -> napi::Result<f64> {
        check_content_type("Call.sendInfo: contentType", &content_type).or_throw(&env)?;
        let op = call_op(None, None, headers).or_throw(&env)?;
        let token = pjsip_sys::next_key();
        self.core
            .native("sendInfo", |c| {
                c.send_info(&content_type, &body, &op, token)
            })
            .or_throw(&env)?;
        Ok(token as f64)
    }

    #[napi]
    pub fn get_stats_dump(
        &self,
        env: Env,
        with_media: Option<bool>,
        indent: Option<String>,
    ) -> napi::Result<String> {
        let indent = indent.unwrap_or_else(|| "  ".to_string());
        if let Some((with, without)) = self.core.final_stats.borrow().as_ref() {
            let text = if with_media.unwrap_or(true) {
                with
            } else {
                without
            };
            return Ok(indent_lines(text, &indent));
        }
        self.core
            .native("getStatsDump", |c| {
                c.stats_dump(with_media.unwrap_or(true), &indent)
            })
            .or_throw(&env)
    }

    /// The call's latest info (the final one once it ended).
    #[napi]
    pub fn get_info(&self) -> CallInfoObject {
        CallInfoObject::from(&self.core.info())
    }

    #[napi(getter)]
    pub fn conn_duration(&self) -> f64 {
        self.core.info().status.connect_duration
    }

    #[napi(getter)]
    pub fn total_duration(&self) -> f64 {
        self.core.info().status.total_duration
    }

    #[napi(getter)]
    pub fn has_media(&self) -> bool {
        !self.core.has_ended() && self.core.info().status.has_media
    }

    #[napi(getter)]
    pub fn is_active(&self) -> bool {
        !self.core.has_ended() && self.core.info().status.is_active
    }

    /// The state now: pjsua's while the call is up, the last one after.
    #[napi(getter)]
    pub fn state(&self) -> &'static str {
        let finished = self
            .core
            .native
            .borrow()
            .as_ref()
            .is_some_and(|call| call.is_finished());
        if finished {
            return state_name(DISCONNECTED);
        }
        state_name(self.core.info().status.state)
    }

    /// The events that have listeners, as the OR of their bits
    /// (`callInterestBits()`): the shim copies and sends only those, and
    /// always the end of the call.
    #[napi]
    pub fn listen_to(&self, listened: u32) {
        if let Some(call) = self.core.native.borrow().as_ref() {
            let mask = interest_mask(listened);
            self.core.interest.set(mask);
            call.set_interest(mask);
        }
    }

    #[napi(getter)]
    pub fn ended(&self) -> bool {
        self.core.has_ended()
    }

    #[napi(js_name = "ref")]
    pub fn hold_loop(&self, env: Env) -> napi::Result<()> {
        if !self.core.has_ended() {
            self.core.keepalive.borrow_mut().hold(&env)?;
        }
        Ok(())
    }

    #[napi]
    pub fn unref(&self) {
        self.core.keepalive.borrow_mut().release();
    }

    #[napi(getter)]
    pub fn referenced(&self) -> bool {
        self.core.keepalive.borrow().is_held()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_follows_the_listeners() {
        let bits: HashMap<_, _> = interest_bits().into_iter().collect();
        let of =
            |names: &[&str]| interest_mask(names.iter().map(|n| bits[n]).fold(0, |m, b| m | b));
        let end = interest::state(DISCONNECTED as u32);
        assert_eq!(interest_mask(0), end);
        assert_eq!(of(&["confirmed"]), end | interest::state(5));
        // 'media' is always sent: it has no bit, so a listener adds none.
        assert!(!bits.contains_key("media"));
        assert_eq!(of(&["state"]) & 0x7f, 0x7f);
        assert_eq!(
            of(&["dtmf", "transferStatus"]),
            end | interest::DTMF | interest::TRANSFER_STATUS
        );
        assert_eq!(
            of(&["info", "transferRequest"]),
            end | interest::INFO | interest::TRANSFER_REQUEST
        );
    }

    #[test]
    fn state_names_follow_pjsip_inv_state() {
        assert_eq!(state_name(1), "calling");
        assert_eq!(state_name(5), "confirmed");
        assert_eq!(state_name(DISCONNECTED), "disconnected");
        assert_eq!(state_name(42), "unknown");
    }

    #[test]
    fn header_names_are_checked() {
        let bad = HashMap::from([("X Bad".to_string(), "1".to_string())]);
        assert!(call_op(None, None, Some(bad)).is_err());
        for value in ["v\r\nX-Injected: 1", "a\nb", "a\rb", "a\0b"] {
            let injected = HashMap::from([("X-A".to_string(), value.to_string())]);
            assert!(call_op(None, None, Some(injected)).is_err(), "{value:?}");
            assert!(
                call_op(Some(486), Some(value.to_string()), None).is_err(),
                "{value:?}"
            );
        }
        let good = HashMap::from([("X-Trunk-Id".to_string(), "7".to_string())]);
        let op = call_op(Some(200), None, Some(good)).unwrap();
        assert_eq!(op.headers[0].0, "X-Trunk-Id");
        assert_eq!(op.status_code, Some(200));
    }

    #[test]
    fn destinations_are_checked() {
        assert!(check_destination("t", "sip:bob@127.0.0.1").is_ok());
        assert!(check_destination("t", " ").is_err());
        assert!(check_destination("t", "sip:bob@127.0.0.1\r\nX-Injected: 1").is_err());
        assert!(check_destination("t", "sip:bob@127.0.0.1\0").is_err());
    }

    #[test]
    fn status_codes_are_range_checked() {
        assert!(check_code("answer", Some(99), 100..=699).is_err());
        assert!(check_code("answer", Some(180), 100..=699).is_ok());
        assert!(check_code("answer", None, 100..=699).is_ok());
    }
}
