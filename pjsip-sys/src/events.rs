//! Events from pjsip's threads: the shim's borrowed `sipster_event` copied
//! into owned Rust data, and the token of the library's own thread.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::thread::{self, ThreadId};

use crate::{ffi, owned, Call, CallInfo, CallStatus, IdentityUpdate, StreamInfo};

/// The thread that initialised the library (Node's main thread).
pub(crate) static LIBRARY_THREAD: OnceLock<ThreadId> = OnceLock::new();

/// Proof that the current thread is the one that initialised the library:
/// the only thread where a `Call` may be made from an `IncomingCall`, used
/// and dropped. Neither `Send` nor `Sync`, so it cannot leave that thread.
pub struct LibraryThread(PhantomData<*const ()>);

impl LibraryThread {
    /// `None` on any other thread, or before `lib_init`.
    pub fn current() -> Option<LibraryThread> {
        (LIBRARY_THREAD.get() == Some(&thread::current().id()))
            .then_some(LibraryThread(PhantomData))
    }
}

/// A call that pjsua created for an incoming INVITE, in transit from the
/// pjsip thread that saw it to the library's thread. Dropping it without
/// `into_call` leaves the native call to the library's shutdown instead of
/// destroying it on a pjsip thread.
pub struct IncomingCall(NonNull<ffi::sipster_call>);

// SAFETY: the handle itself is inert: nothing but `into_call` reads it, and
// that takes the library thread's token.
unsafe impl Send for IncomingCall {}

impl IncomingCall {
    pub fn into_call(self, _on: &LibraryThread) -> Call {
        Call(self.0)
    }
}

pub enum EventKind {
    Log {
        level: i32,
        line: String,
    },
    RegStarted {
        account: u64,
        renew: bool,
    },
    RegState {
        account: u64,
        code: i32,
        active: bool,
        expires: i32,
        reason: String,
    },
    IncomingCall {
        account: u64,
        call_key: u64,
        call: IncomingCall,
        info: CallInfo,
        /// The INVITE as received.
        whole_msg: String,
    },
    CallState {
        call_key: u64,
        status: CallStatus,
        /// What changed of the call's identity since its previous event.
        identity: IdentityUpdate,
    },
    CallMedia {
        call_key: u64,
        streams: Vec<StreamInfo>,
    },
    Dtmf {
        call_key: u64,
        digit: String,
    },
    PlayerEof {
        key: u64,
    },
    TransferStatus {
        call_key: u64,
        code: i32,
        is_final: bool,
        reason: String,
    },
    /// An INFO in a call's dialog, answered 200 already.
    Info {
        call_key: u64,
        whole_msg: String,
    },
    /// The final response to `Call::send_info`'s INFO `token`.
    InfoStatus {
        call_key: u64,
        token: u64,
        code: i32,
        reason: String,
    },
    /// An out-of-dialog MESSAGE, answered 200 already.
    Message {
        account: u64,
        whole_msg: String,
    },
    /// The final response to `Account::send_message`'s MESSAGE `token`.
    MessageStatus {
        account: u64,
        token: u64,
        code: i32,
        reason: String,
    },
    /// A REFER in a call that listens for it, held until
    /// `decide_held_request(token, ..)`.
    TransferRequest {
        call_key: u64,
        token: u64,
        whole_msg: String,
    },
    /// An INVITE with Replaces for the call `call_key`, whose account
    /// listens for it, held until `decide_held_request(token, ..)`.
    ReplaceRequest {
        account: u64,
        call_key: u64,
        token: u64,
        whole_msg: String,
    },
}

pub struct Event {
    /// `now_ns()` clock reading taken in the pjsip callback.
    pub timestamp_ns: i64,
    pub kind: EventKind,
}

impl Event {
    /// # Safety
    /// `raw` must be a valid event whose pointers are alive for this call.
    unsafe fn from_raw(raw: &ffi::sipster_event) -> Option<Event> {
        use ffi::sipster_event_kind::*;
        let call_info = unsafe { raw.call_info.as_ref() };
        let kind = match raw.kind {
            SIPSTER_EVENT_LOG => EventKind::Log {
                level: raw.code,
                line: owned(raw.text),
            },
            SIPSTER_EVENT_REG_STARTED => EventKind::RegStarted {
                account: raw.source,
                renew: raw.flag != 0,
            },
            SIPSTER_EVENT_REG_STATE => EventKind::RegState {
                account: raw.source,
                code: raw.code,
                active: raw.flag != 0,
                expires: raw.expires,
                reason: owned(raw.text),
            },
            SIPSTER_EVENT_INCOMING_CALL => EventKind::IncomingCall {
                account: raw.source,
                call_key: raw.call_key,
                call: IncomingCall(NonNull::new(raw.call)?),
                info: call_info.map(CallInfo::from_raw).unwrap_or_default(),
                whole_msg: owned(raw.text),
            },
            SIPSTER_EVENT_CALL_STATE => EventKind::CallState {
                call_key: raw.source,
                status: call_info.map(CallStatus::from_raw).unwrap_or_default(),
                identity: call_info.map(IdentityUpdate::from_raw).unwrap_or_default(),
            },
            SIPSTER_EVENT_CALL_MEDIA => {
                let streams = if raw.streams.is_null() {
                    &[][..]
                } else {
                    unsafe { std::slice::from_raw_parts(raw.streams, raw.stream_count) }
                };
                EventKind::CallMedia {
                    call_key: raw.source,
                    streams: streams
                        .iter()
                        .map(|s| StreamInfo {
                            index: s.index,
                            dir: s.dir,
                            status: s.status,
                            conf_slot: s.conf_slot,
                            rtp_addr: owned(s.rtp_addr),
                            rtcp_addr: owned(s.rtcp_addr),
                        })
                        .collect(),
                }
            }
            SIPSTER_EVENT_DTMF => EventKind::Dtmf {
                call_key: raw.source,
                digit: owned(raw.text),
            },
            SIPSTER_EVENT_PLAYER_EOF => EventKind::PlayerEof { key: raw.source },
            SIPSTER_EVENT_TRANSFER_STATUS => EventKind::TransferStatus {
                call_key: raw.source,
                code: raw.code,
                is_final: raw.flag != 0,
                reason: owned(raw.text),
            },
            SIPSTER_EVENT_INFO => EventKind::Info {
                call_key: raw.source,
                whole_msg: owned(raw.text),
            },
            SIPSTER_EVENT_INFO_STATUS => EventKind::InfoStatus {
                call_key: raw.source,
                token: raw.token,
                code: raw.code,
                reason: owned(raw.text),
            },
            SIPSTER_EVENT_MESSAGE => EventKind::Message {
                account: raw.source,
                whole_msg: owned(raw.text),
            },
            SIPSTER_EVENT_MESSAGE_STATUS => EventKind::MessageStatus {
                account: raw.source,
                token: raw.token,
                code: raw.code,
                reason: owned(raw.text),
            },
            SIPSTER_EVENT_TRANSFER_REQUEST => EventKind::TransferRequest {
                call_key: raw.source,
                token: raw.token,
                whole_msg: owned(raw.text),
            },
            SIPSTER_EVENT_REPLACE_REQUEST => EventKind::ReplaceRequest {
                account: raw.source,
                call_key: raw.call_key,
                token: raw.token,
                whole_msg: owned(raw.text),
            },
        };
        Some(Event {
            timestamp_ns: raw.timestamp_ns,
            kind,
        })
    }
}

/// Receives every event, on pjsip's threads; it must not block.
pub type EventSink = Box<dyn Fn(Event) + Send + Sync>;

pub(crate) unsafe extern "C" fn sink_trampoline(ctx: *mut c_void, raw: *const ffi::sipster_event) {
    // A panic must not unwind into pjsip's C frames.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: ctx is the leaked EventSink from `lib_init`; raw is valid now.
        let sink = unsafe { &*(ctx as *const EventSink) };
        if let Some(event) = unsafe { raw.as_ref() }.and_then(|r| unsafe { Event::from_raw(r) }) {
            sink(event);
        }
    }));
}
