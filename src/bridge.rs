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
//! The event channel never keeps the process alive. Each JS object that is
//! ref'd holds a `KeepAlive`; while at least one is held, a second,
//! otherwise unused threadsafe function keeps the loop referenced.
//!
//! Transports, accounts, players and recorders are `Owned`: the library,
//! not the garbage collector, decides when they close.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use pjsip_sys::{CallInfo, Event, EventKind, EventSink};

use crate::call::{self, CallHandle, CallInfoObject};
use crate::error::SipsterError;
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
            let handle = call::adopt_incoming(call_key, call.into_call(), &info);
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

// ---- keeping the loop alive --------------------------------------------------

/// A never-called, referenced threadsafe function: while it exists, Node's
/// loop stays alive. Dropping the last `Rc` releases it.
struct LoopAnchor {
    _tsfn: ThreadsafeFunction<(), (), (), Status, false, false>,
}

thread_local! {
    static ANCHOR: RefCell<Weak<LoopAnchor>> = const { RefCell::new(Weak::new()) };
}

/// One object's claim on the event loop (`ref()` / `unref()`).
#[derive(Default)]
pub struct KeepAlive(Option<Rc<LoopAnchor>>);

impl KeepAlive {
    pub fn hold(&mut self, env: &Env) -> Result<()> {
        if self.0.is_some() {
            return Ok(());
        }
        let existing = ANCHOR.with(|a| a.borrow().upgrade());
        let anchor = match existing {
            Some(anchor) => anchor,
            None => {
                let noop =
                    env.create_function_from_closure::<(), (), _>("sipsterLoopAnchor", |_| Ok(()))?;
                let tsfn = noop
                    .build_threadsafe_function::<()>()
                    .callee_handled::<false>()
                    .weak::<false>()
                    .build_callback(|_| Ok(()))?;
                let anchor = Rc::new(LoopAnchor { _tsfn: tsfn });
                ANCHOR.with(|a| *a.borrow_mut() = Rc::downgrade(&anchor));
                anchor
            }
        };
        self.0 = Some(anchor);
        Ok(())
    }

    pub fn release(&mut self) {
        self.0 = None;
    }

    pub fn is_held(&self) -> bool {
        self.0.is_some()
    }
}

// ---- ownership independent of the garbage collector --------------------------

/// What `Owned` keeps for one object: the native handle and its claim on
/// the loop.
struct Slot<T> {
    native: Option<T>,
    keepalive: KeepAlive,
}

impl<T> Slot<T> {
    fn release(&mut self) -> Option<T> {
        self.keepalive.release();
        self.native.take()
    }
}

/// Type-erased handle on a `Slot`, for shutdown.
trait Release {
    fn release_now(&self);
}

impl<T> Release for RefCell<Slot<T>> {
    fn release_now(&self) {
        let native = self.borrow_mut().release();
        drop(native);
    }
}

thread_local! {
    /// Every open transport, account, player and recorder, by key. The JS
    /// wrappers may be collected; these stay until closed or shutdown.
    static OPEN: RefCell<HashMap<u64, Rc<dyn Release>>> = RefCell::new(HashMap::new());
}

/// A native object owned by the library rather than by its JS wrapper: it
/// stays open, and keeps its claim on the event loop, until `close()` or
/// shutdown, whatever the garbage collector does with the wrapper.
pub struct Owned<T: 'static> {
    key: u64,
    slot: Rc<RefCell<Slot<T>>>,
}

impl<T: 'static> Owned<T> {
    pub fn new(key: u64, native: T) -> Self {
        let slot = Rc::new(RefCell::new(Slot {
            native: Some(native),
            keepalive: KeepAlive::default(),
        }));
        OPEN.with(|open| {
            open.borrow_mut()
                .insert(key, slot.clone() as Rc<dyn Release>)
        });
        Owned { key, slot }
    }

    pub fn key(&self) -> u64 {
        self.key
    }

    /// Runs `f` on the native object, or fails with `closed` once it is gone.
    pub fn with<R>(
        &self,
        closed: impl FnOnce() -> SipsterError,
        f: impl FnOnce(&mut T) -> crate::error::Result<R>,
    ) -> crate::error::Result<R> {
        let mut slot = self.slot.borrow_mut();
        match slot.native.as_mut() {
            Some(native) => f(native),
            None => Err(closed()),
        }
    }

    pub fn is_open(&self) -> bool {
        self.slot.borrow().native.is_some()
    }

    pub fn hold_loop(&self, env: &Env) -> Result<()> {
        let mut slot = self.slot.borrow_mut();
        if slot.native.is_some() {
            slot.keepalive.hold(env)?;
        }
        Ok(())
    }

    pub fn release_loop(&self) {
        self.slot.borrow_mut().keepalive.release();
    }

    pub fn holds_loop(&self) -> bool {
        self.slot.borrow().keepalive.is_held()
    }

    /// Releases the native object now.
    pub fn close(&self) {
        OPEN.with(|open| open.borrow_mut().remove(&self.key));
        self.slot.release_now();
    }
}

/// At shutdown, after libDestroy: releases every open object (their
/// native parts are inert by then) and their claims on the loop.
pub fn release_all_owned() {
    let open: Vec<Rc<dyn Release>> =
        OPEN.with(|open| open.borrow_mut().drain().map(|(_, v)| v).collect());
    for slot in open {
        slot.release_now();
    }
}
