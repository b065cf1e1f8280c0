//! The event bridge: pjsip callbacks -> JS, and what keeps Node's loop alive.
//!
//! In a pjsip callback the shim copies what the event needs into owned Rust
//! data (`pjsip_sys::Event`), which is queued on one weak threadsafe function
//! without blocking (its queue is unbounded). Node runs the queue in order on
//! the main thread: there the event updates the native state it concerns
//! (a call that ended is released, for one) and becomes one call of the JS
//! dispatcher in index.js, with positional arguments (`EventArgs`). One
//! queue keeps every object's events in the order pjsip produced them.
//!
//! The event channel never keeps the process alive: what does is
//! `keepalive.rs`.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use pjsip_sys::{CallInfo, Event, EventKind, EventSink, LibraryThread};

use crate::call::{self, CallHandle, CallInfoObject};
use crate::media::MediaHandle;

/// One event as the JS dispatcher receives it: positional arguments
///
/// `(kind, key, timestamp, int1, int2, num1, num2, num3, flag1, flag2,
///   text1 .. text10, call, medias)`
///
/// where `kind` says which slots are set (the others are `null`) and
/// `dispatch()` in index.js turns them into one object. Positional because
/// an object built through N-API costs a property-name lookup and a hidden
/// class transition per field, where a literal built in JS costs neither:
/// in the benchmark's profile, building event objects was a fifth of
/// Node's main thread.
pub type EventArgs = FnArgs<(
    &'static str,
    f64,
    f64,
    Option<i32>,
    Option<i32>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<bool>,
    Option<bool>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<CallHandle>,
    Option<Vec<MediaHandle>>,
)>;

/// The slots of one event, filled by kind.
#[derive(Default)]
struct Slots {
    ints: [Option<i32>; 2],
    nums: [Option<f64>; 3],
    flags: [Option<bool>; 2],
    texts: [Option<String>; 10],
    call: Option<CallHandle>,
    medias: Option<Vec<MediaHandle>>,
}

impl Slots {
    /// A call's info, in the order index.js reads it (`callInfo()`).
    fn call_info(info: &CallInfo) -> Self {
        let o = CallInfoObject::from(info);
        Slots {
            ints: [Some(o.last_status_code), None],
            nums: [Some(o.conn_duration), Some(o.total_duration), None],
            flags: [Some(o.has_media), Some(o.is_active)],
            texts: [
                Some(o.state),
                Some(o.state_text),
                Some(o.role),
                Some(o.last_reason),
                Some(o.local_uri),
                Some(o.local_contact),
                Some(o.remote_uri),
                Some(o.remote_contact),
                Some(o.call_id),
                Some(o.src_address),
            ],
            ..Slots::default()
        }
    }

    fn text(text: String) -> Self {
        let mut slots = Slots::default();
        slots.texts[0] = Some(text);
        slots
    }

    fn into_args(self, kind: &'static str, key: u64, timestamp_ns: i64) -> EventArgs {
        let [int1, int2] = self.ints;
        let [num1, num2, num3] = self.nums;
        let [flag1, flag2] = self.flags;
        let [t1, t2, t3, t4, t5, t6, t7, t8, t9, t10] = self.texts;
        FnArgs::from((
            kind,
            key as f64,
            timestamp_ns as f64,
            int1,
            int2,
            num1,
            num2,
            num3,
            flag1,
            flag2,
            t1,
            t2,
            t3,
            t4,
            t5,
            t6,
            t7,
            t8,
            t9,
            t10,
            self.call,
            self.medias,
        ))
    }
}

/// Runs on the main thread, in pjsip's order: applies the event to the
/// native state and shapes it for JS.
fn deliver(event: Event) -> EventArgs {
    let ts = event.timestamp_ns;
    match event.kind {
        EventKind::Log { level, line } => Slots {
            ints: [Some(level), None],
            ..Slots::text(line)
        }
        .into_args("log", 0, ts),
        EventKind::RegStarted { account, renew } => Slots {
            flags: [Some(renew), None],
            ..Slots::default()
        }
        .into_args("regStarted", account, ts),
        EventKind::RegState {
            account,
            code,
            active,
            expires,
            reason,
        } => Slots {
            ints: [Some(code), Some(expires)],
            flags: [Some(active), None],
            ..Slots::text(reason)
        }
        .into_args("regState", account, ts),
        EventKind::IncomingCall {
            account,
            call_key,
            call,
            info,
        } => {
            // deliver() runs on Node's main thread, the library's own.
            let Some(library_thread) = LibraryThread::current() else {
                return Slots::default().into_args("ignored", 0, ts);
            };
            let handle = call::adopt_incoming(call_key, call.into_call(&library_thread), &info);
            let mut slots = Slots::call_info(&info);
            slots.nums[2] = Some(call_key as f64);
            slots.call = Some(handle);
            slots.into_args("call", account, ts)
        }
        EventKind::CallState { call_key, info } => {
            call::apply_state(call_key, &info);
            Slots::call_info(&info).into_args("callState", call_key, ts)
        }
        EventKind::CallMedia { call_key, streams } => Slots {
            medias: Some(call::media_of(call_key, &streams)),
            ..Slots::default()
        }
        .into_args("callMedia", call_key, ts),
        EventKind::Dtmf { call_key, digit } => Slots::text(digit).into_args("dtmf", call_key, ts),
        EventKind::PlayerEof { key } => Slots::default().into_args("eof", key, ts),
        EventKind::TransferStatus {
            call_key,
            code,
            is_final,
            reason,
        } => Slots {
            ints: [Some(code), None],
            flags: [Some(is_final), None],
            ..Slots::text(reason)
        }
        .into_args("transferStatus", call_key, ts),
    }
}

/// Builds the sink that pjsip's threads call: it only queues.
pub fn event_sink(dispatch: Function<EventArgs, ()>) -> Result<EventSink> {
    let tsfn: ThreadsafeFunction<Event, (), EventArgs, Status, false, true> = dispatch
        .build_threadsafe_function::<Event>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| Ok(deliver(ctx.value)))?;
    Ok(Box::new(move |event| {
        // Never blocks: the queue is unbounded. After Node began to shut
        // down the event is dropped, which is all that can be done with it.
        tsfn.call(event, ThreadsafeFunctionCallMode::NonBlocking);
    }))
}
