//! The event bridge: pjsip callbacks -> JS.
//!
//! In a pjsip callback the shim copies what the event needs into owned Rust
//! data (`pjsip_sys::Event`), which is queued on one weak threadsafe function
//! without blocking (its queue is unbounded). Node runs the queue in order on
//! the main thread: there the event updates the native state it concerns
//! (a call that ended is released, for one) and calls the JS handler of its
//! kind, with that kind's own parameters. `EventHandlers` is the one table
//! that ties each kind to its handler and its parameters; index.js gives
//! the handlers under the same names. One queue keeps every object's events
//! in the order pjsip produced them.
//!
//! Parameters rather than objects: an object built through N-API costs a
//! property-name lookup and a hidden class transition per field, where a
//! literal built in JS costs neither (in the benchmark's profile, event
//! objects built through N-API were a fifth of Node's main thread).
//!
//! The event channel never keeps the process alive: what does is
//! `keepalive.rs`.
//!
//! With loop signalling (the default on Node's main thread on Linux) pjsip
//! is polled on the main thread, from libuv's own callback when a SIP socket
//! is readable or a pjsip timer is due (the shim opens the N-API scopes that
//! this needs), and the events raised inside are delivered right after the
//! poll, in the same callback. Not inside pjsip's callbacks: a handler may
//! then do anything, `shutdown()` and `process.exit()` included. An event
//! still goes through the queue when an earlier one of the main thread waits
//! there (order).
#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use pjsip_sys::{
    CallStatus, Event, EventKind, EventSink, IdentityUpdate, LibraryThread, PollPhase, PollRunner,
};

use crate::call::{self, role_name, state_name, CallHandle};
use crate::media::{self, MediaHandle};

/// Handler parameters: `$lead`, then the six strings of a call's identity
/// in the order index.js names them (`localUri, localContact, remoteUri,
/// remoteContact, callId, srcAddress`).
macro_rules! args_with_identity {
    ($identity:expr; $($lead:expr),* $(,)?) => {{
        let identity = $identity;
        FnArgs::from((
            $($lead,)*
            identity.local_uri,
            identity.local_contact,
            identity.remote_uri,
            identity.remote_contact,
            identity.call_id,
            identity.src_address,
        ))
    }};
}

/// A JS function that takes `Args` as its parameters.
type Handler<Args> = FunctionRef<FnArgs<Args>, ()>;

type RegStateArgs = (f64, bool, i32, i32, String);
/// `accountKey, callKey, call, wholeMsg, state`, then the identity.
type CallArgs = (
    f64,
    f64,
    CallHandle,
    String,
    &'static str,
    String,
    String,
    String,
    String,
    String,
    String,
);
/// `callKey, state, stateText, role, lastStatusCode, lastReason,
/// connDuration, totalDuration, hasMedia, isActive`, then the identity
/// strings that changed since the call's previous event (`null` where not).
type CallStateArgs = (
    f64,
    &'static str,
    String,
    &'static str,
    i32,
    String,
    f64,
    f64,
    bool,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn call_state_args(
    call_key: u64,
    status: CallStatus,
    identity: IdentityUpdate,
) -> FnArgs<CallStateArgs> {
    args_with_identity!(identity;
        call_key as f64,
        state_name(status.state),
        status.state_text,
        role_name(status.role),
        status.last_status_code,
        status.last_reason,
        status.connect_duration,
        status.total_duration,
        status.has_media,
        status.is_active,
    )
}

type TransferStatusArgs = (f64, i32, String, bool);

/// The JS handler of each event kind, by the name index.js gives it, with
/// its parameters. Keys are the keys of the objects concerned (`account`,
/// `call`, `player`), as numbers.
struct EventHandlers {
    /// `log(level, line)`
    log: Handler<(i32, String)>,
    /// `regStarted(accountKey, renew)`
    reg_started: Handler<(f64, bool)>,
    /// `regState(accountKey, active, code, expires, reason)`
    reg_state: Handler<RegStateArgs>,
    /// `call(accountKey, callKey, call, wholeMsg, state, ...identity)`: what
    /// the Call and the account's 'call' event need
    call: Handler<CallArgs>,
    /// `callState(callKey, ...status, ...identity changes)`, see `CallStateArgs`
    call_state: Handler<CallStateArgs>,
    /// `callMedia(callKey, medias)`
    call_media: Handler<(f64, Vec<MediaHandle>)>,
    /// `dtmf(callKey, digit)`
    dtmf: Handler<(f64, String)>,
    /// `eof(playerKey)`
    eof: Handler<(f64,)>,
    /// `transferStatus(callKey, code, reason, isFinal)`
    transfer_status: Handler<TransferStatusArgs>,
    /// `info(callKey, wholeMsg)`
    info: Handler<(f64, String)>,
    /// `infoStatus(callKey, token, code, reason)`
    info_status: Handler<(f64, f64, i32, String)>,
    /// `message(accountKey, wholeMsg)`
    message: Handler<(f64, String)>,
    /// `messageStatus(accountKey, token, code, reason)`
    message_status: Handler<(f64, f64, i32, String)>,
    /// `transferRequest(callKey, token, wholeMsg)`
    transfer_request: Handler<(f64, f64, String)>,
    /// `replaceRequest(accountKey, callKey, token, wholeMsg)`
    replace_request: Handler<(f64, f64, f64, String)>,
}

fn handler<Args>(handlers: &Object, name: &str) -> Result<Handler<Args>>
where
    FnArgs<Args>: JsValuesTupleIntoVec,
{
    let function: Function<FnArgs<Args>, ()> = handlers.get_named_property(name).map_err(|_| {
        Error::new(
            Status::InvalidArg,
            format!("event handlers: '{name}' must be a function"),
        )
    })?;
    function.create_ref()
}

impl EventHandlers {
    fn from_object(handlers: &Object) -> Result<Self> {
        Ok(EventHandlers {
            log: handler(handlers, "log")?,
            reg_started: handler(handlers, "regStarted")?,
            reg_state: handler(handlers, "regState")?,
            call: handler(handlers, "call")?,
            call_state: handler(handlers, "callState")?,
            call_media: handler(handlers, "callMedia")?,
            dtmf: handler(handlers, "dtmf")?,
            eof: handler(handlers, "eof")?,
            transfer_status: handler(handlers, "transferStatus")?,
            info: handler(handlers, "info")?,
            info_status: handler(handlers, "infoStatus")?,
            message: handler(handlers, "message")?,
            message_status: handler(handlers, "messageStatus")?,
            transfer_request: handler(handlers, "transferRequest")?,
            replace_request: handler(handlers, "replaceRequest")?,
        })
    }
}

thread_local! {
    /// The handlers of the running library (main thread only).
    static HANDLERS: RefCell<Option<Rc<EventHandlers>>> = const { RefCell::new(None) };
    /// When the shim saw the event now being delivered (for the benchmark).
    static DELIVERING_NS: Cell<i64> = const { Cell::new(0) };
    /// While a poll or its delivery runs: the events raised on this thread
    /// (by pjsip, or by a handler calling into it, as `answer()` raises
    /// `connecting`), delivered after those before them, in the same
    /// callback of libuv.
    static POLL_BATCH: RefCell<Option<Vec<Event>>> = const { RefCell::new(None) };
    /// Events raised on the main thread that wait in the queue.
    static QUEUED_FROM_MAIN: Cell<usize> = const { Cell::new(0) };
    /// The events of a poll that wait for delivery: from the pjsip phase to
    /// the delivery phase, and after a handler that threw, until the shim
    /// calls again.
    static UNDELIVERED: RefCell<VecDeque<Event>> = const { RefCell::new(VecDeque::new()) };
}

type EventQueue = ThreadsafeFunction<Delivery, (), (), Status, false, true>;

/// Queues `event`, counting it if it was raised on the main thread.
fn enqueue(queue: &EventQueue, event: Event) {
    let from_main = LibraryThread::current().is_some();
    if from_main {
        QUEUED_FROM_MAIN.with(|q| q.set(q.get() + 1));
    }
    // Never blocks: the queue is unbounded. After Node began to shut down
    // the event is dropped, which is all that can be done with it.
    queue.call(
        Delivery { event, from_main },
        ThreadsafeFunctionCallMode::NonBlocking,
    );
}

/// What the queue carries: an event, and whether it was raised on the main
/// thread.
struct Delivery {
    event: Event,
    from_main: bool,
}

/// The shim's timestamp (`nowNs()` clock) of the event whose handler runs
/// now: what the benchmark measures event latency from.
pub fn delivering_event_ns() -> i64 {
    DELIVERING_NS.with(Cell::get)
}

/// Calls `f` with `args`. A handler that throws leaves its exception
/// pending (`Status::PendingException`), and Node reports it as uncaught
/// once the queue's callback returns.
fn call<Args>(env: &Env, f: &Handler<Args>, args: FnArgs<Args>) -> Result<()>
where
    FnArgs<Args>: JsValuesTupleIntoVec,
{
    f.borrow_back(env)?.call(args)
}

/// Runs on the main thread, in pjsip's order: applies the event to the
/// native state and calls the handler of its kind.
fn deliver(env: &Env, h: &EventHandlers, event: Event) -> Result<()> {
    DELIVERING_NS.with(|t| t.set(event.timestamp_ns));
    match event.kind {
        EventKind::Log { level, line } => call(env, &h.log, (level, line).into()),
        EventKind::RegStarted { account, renew } => {
            call(env, &h.reg_started, (account as f64, renew).into())
        }
        EventKind::RegState {
            account,
            code,
            active,
            expires,
            reason,
        } => call(
            env,
            &h.reg_state,
            (account as f64, active, code, expires, reason).into(),
        ),
        EventKind::IncomingCall {
            account,
            call_key,
            call,
            info,
            whole_msg,
        } => {
            // deliver() runs on Node's main thread, the library's own.
            let Some(library_thread) = LibraryThread::current() else {
                return Ok(());
            };
            let handle = call::adopt_incoming(call_key, call.into_call(&library_thread), &info);
            let args = args_with_identity!(info.identity;
                account as f64,
                call_key as f64,
                handle,
                whole_msg,
                state_name(info.status.state),
            );
            self::call(env, &h.call, args)
        }
        EventKind::CallState {
            call_key,
            status,
            identity,
        } => {
            if !call::apply_state(call_key, &status, &identity) {
                return Ok(());
            }
            call(
                env,
                &h.call_state,
                call_state_args(call_key, status, identity),
            )
        }
        EventKind::CallMedia { call_key, streams } => {
            let medias = media::of_call(call_key, &streams);
            call(env, &h.call_media, (call_key as f64, medias).into())
        }
        EventKind::Dtmf { call_key, digit } => call(env, &h.dtmf, (call_key as f64, digit).into()),
        EventKind::PlayerEof { key } => call(env, &h.eof, (key as f64,).into()),
        EventKind::TransferStatus {
            call_key,
            code,
            is_final,
            reason,
        } => call(
            env,
            &h.transfer_status,
            (call_key as f64, code, reason, is_final).into(),
        ),
        EventKind::Info {
            call_key,
            whole_msg,
        } => call(env, &h.info, (call_key as f64, whole_msg).into()),
        EventKind::InfoStatus {
            call_key,
            token,
            code,
            reason,
        } => call(
            env,
            &h.info_status,
            (call_key as f64, token as f64, code, reason).into(),
        ),
        EventKind::Message { account, whole_msg } => {
            call(env, &h.message, (account as f64, whole_msg).into())
        }
        EventKind::MessageStatus {
            account,
            token,
            code,
            reason,
        } => call(
            env,
            &h.message_status,
            (account as f64, token as f64, code, reason).into(),
        ),
        EventKind::TransferRequest {
            call_key,
            token,
            whole_msg,
        } => call(
            env,
            &h.transfer_request,
            (call_key as f64, token as f64, whole_msg).into(),
        ),
        EventKind::ReplaceRequest {
            account,
            call_key,
            token,
            whole_msg,
        } => call(
            env,
            &h.replace_request,
            (account as f64, call_key as f64, token as f64, whole_msg).into(),
        ),
    }
}

/// The handlers of the running library, if any. Not borrowed while JS runs:
/// a handler may init() again.
fn current_handlers() -> Option<Rc<EventHandlers>> {
    HANDLERS.with(|h| h.borrow().clone())
}

/// An event raised on this thread inside a poll or its delivery is kept
/// for delivery in that same callback, unless an earlier event of this
/// thread still waits in the queue; anything else is given back, for the
/// queue.
fn keep_for_poll(event: Event) -> Option<Event> {
    if QUEUED_FROM_MAIN.with(Cell::get) > 0 {
        return Some(event);
    }
    POLL_BATCH.with(|batch| match batch.borrow_mut().as_mut() {
        Some(batch) => {
            batch.push(event);
            None
        }
        None => Some(event),
    })
}

/// Loop signalling, first phase: runs pjsip's pending work on this thread,
/// keeping the events it raises. Returns whether events wait for delivery
/// (those left by a handler that threw go first; pjsip waits for them).
fn poll_pjsip(thread: &LibraryThread) -> bool {
    if UNDELIVERED.with(|u| !u.borrow().is_empty()) {
        return true;
    }
    POLL_BATCH.with(|b| *b.borrow_mut() = Some(Vec::new()));
    pjsip_sys::loop_poll(thread);
    let raised = POLL_BATCH
        .with(|b| b.borrow_mut().take())
        .unwrap_or_default();
    let waiting = !raised.is_empty();
    UNDELIVERED.with(|u| u.borrow_mut().extend(raised));
    waiting
}

/// Moves what the handlers raised on this thread behind `events`.
fn take_raised(events: &mut VecDeque<Event>) {
    POLL_BATCH.with(|b| {
        if let Some(raised) = b.borrow_mut().as_mut() {
            events.extend(raised.drain(..));
        }
    });
}

/// Loop signalling, second phase: the handlers of the waiting events, in
/// order, then those of the events the handlers raise meanwhile. When a
/// handler throws, its error is returned, for the caller to leave pending
/// (the shim reports it as uncaught), with `true` if events remain: the
/// shim calls again at once and they are delivered then, before anything
/// queued meanwhile.
fn deliver_waiting(env: &Env) -> (bool, Result<()>) {
    let mut events = UNDELIVERED.with(|u| std::mem::take(&mut *u.borrow_mut()));
    POLL_BATCH.with(|b| *b.borrow_mut() = Some(Vec::new()));
    let outcome = loop {
        take_raised(&mut events);
        let Some(event) = events.pop_front() else {
            break (false, Ok(()));
        };
        let Some(handlers) = current_handlers() else {
            break (false, Ok(()));
        };
        if let Err(err) = deliver(env, &handlers, event) {
            take_raised(&mut events);
            let again = !events.is_empty();
            UNDELIVERED.with(|u| *u.borrow_mut() = events);
            break (again, Err(err));
        }
    };
    POLL_BATCH.with(|b| b.borrow_mut().take());
    outcome
}

/// The event sink that pjsip's threads call (it never blocks), with the
/// handlers of `handlers` (an object of functions, see `EventHandlers`),
/// and the poll that loop signalling runs from libuv's callbacks.
pub fn event_sink(env: &Env, handlers: &Object) -> Result<(EventSink, Box<PollRunner>)> {
    let table = EventHandlers::from_object(handlers)?;
    HANDLERS.with(|h| *h.borrow_mut() = Some(Rc::new(table)));
    QUEUED_FROM_MAIN.with(|q| q.set(0));
    UNDELIVERED.with(|u| u.borrow_mut().clear());
    // The queue's own JS function does nothing: each item calls its
    // handler from the callback.
    let wake = env.create_function_from_closure::<(), (), _>("sipsterEvents", |_| Ok(()))?;
    let tsfn: EventQueue = wake
        .build_threadsafe_function::<Delivery>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| {
            let Delivery { event, from_main } = ctx.value;
            if from_main {
                QUEUED_FROM_MAIN.with(|q| q.set(q.get().saturating_sub(1)));
            }
            let delivered = match current_handlers() {
                Some(handlers) => deliver(&ctx.env, &handlers, event),
                None => Ok(()),
            };
            match delivered {
                // Left pending: Node reports it as uncaught when this returns.
                Err(err) if err.status == Status::PendingException => Ok(()),
                other => other,
            }
        })?;
    let sink: EventSink = Box::new(move |event| {
        if let Some(event) = keep_for_poll(event) {
            enqueue(&tsfn, event);
        }
    });
    let env = *env;
    let run_poll = Box::new(move |phase: PollPhase| {
        let Some(thread) = LibraryThread::current() else {
            return false;
        };
        if phase == PollPhase::Pjsip {
            return poll_pjsip(&thread);
        }
        let (again, delivered) = deliver_waiting(&env);
        // Already pending, or thrown again here (napi-rs keeps the handler's
        // own exception): the shim reports it as uncaught.
        if let Err(err) = delivered {
            if err.status != Status::PendingException {
                env.throw(err).unwrap_or(());
            }
        }
        again
    });
    Ok((sink, run_poll))
}
