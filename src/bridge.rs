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
//! With the experimental loop signalling (`SIPSTER_SIGNALLING=loop`) pjsip
//! is polled from this queue too: a `Poll` item runs pjsip's event handling
//! on the main thread, and the events raised inside go to their handlers at
//! once, inside pjsip's callback, as in a pjsua2 UAS that answers from its
//! callback. An event still goes through the queue when an earlier one of
//! the main thread waits there (order), or after a handler threw.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use pjsip_sys::{CallInfo, Event, EventKind, EventSink, LibraryThread};

use crate::call::{self, role_name, state_name, CallHandle};
use crate::media::{self, MediaHandle};

/// A call's info as handler parameters, in this order: `state, stateText,
/// role, lastStatusCode, lastReason, localUri, localContact, remoteUri,
/// remoteContact, callId, srcAddress, connDuration, totalDuration,
/// hasMedia, isActive`.
macro_rules! call_info_types {
    ($($lead:ty),*) => {
        (
            $($lead,)*
            &'static str, String, &'static str, i32, String, String, String, String, String,
            String, String, f64, f64, bool, bool,
        )
    };
}

macro_rules! call_info_args {
    ($info:expr; $($lead:expr),*) => {{
        let info: CallInfo = $info;
        FnArgs::from((
            $($lead,)*
            state_name(info.state),
            info.state_text,
            role_name(info.role),
            info.last_status_code,
            info.last_reason,
            info.local_uri,
            info.local_contact,
            info.remote_uri,
            info.remote_contact,
            info.call_id,
            info.src_address,
            info.connect_duration,
            info.total_duration,
            info.has_media,
            info.is_active,
        ))
    }};
}

/// A JS function that takes `Args` as its parameters.
type Handler<Args> = FunctionRef<FnArgs<Args>, ()>;

type RegStateArgs = (f64, bool, i32, i32, String);
type CallArgs = call_info_types!(f64, f64, CallHandle, String);
type CallStateArgs = call_info_types!(f64);
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
    /// `call(accountKey, callKey, call, ...info)`
    call: Handler<CallArgs>,
    /// `callState(callKey, ...info)`
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
        })
    }
}

thread_local! {
    /// The handlers of the running library (main thread only).
    static HANDLERS: RefCell<Option<Rc<EventHandlers>>> = const { RefCell::new(None) };
    /// When the shim saw the event now being delivered (for the benchmark).
    static DELIVERING_NS: Cell<i64> = const { Cell::new(0) };
    /// While a `Poll` runs with no JS exception pending: where handlers run.
    static POLLING: Cell<Option<Env>> = const { Cell::new(None) };
    /// Events raised on the main thread that wait in the queue.
    static QUEUED_FROM_MAIN: Cell<usize> = const { Cell::new(0) };
}

/// Whether pjsip is being polled on this thread now (loop signalling): its
/// callbacks are on the stack, so the library must not be destroyed here.
pub fn polling() -> bool {
    POLLING.with(Cell::get).is_some()
}

/// What the queue carries. Not boxed: a `Poll` is rare, and boxing every
/// event would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Delivery {
    /// An event; `from_main` if raised on the main thread.
    Event { event: Event, from_main: bool },
    /// Loop signalling: pjsip has work to do on the main thread.
    Poll,
}

/// The shim's timestamp (`nowNs()` clock) of the event whose handler runs
/// now: what the benchmark measures event latency from.
pub fn delivering_event_ns() -> i64 {
    DELIVERING_NS.with(Cell::get)
}

/// Calls `f` with `args`. A handler that throws leaves its exception
/// pending, and Node reports it as uncaught once this event is done.
fn call<Args>(env: &Env, f: &Handler<Args>, args: FnArgs<Args>) -> Result<()>
where
    FnArgs<Args>: JsValuesTupleIntoVec,
{
    match f.borrow_back(env)?.call(args) {
        Err(err) if err.status == Status::PendingException => {
            // No more JS from this poll: the rest goes through the queue.
            POLLING.with(|p| p.set(None));
            Ok(())
        }
        other => other,
    }
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
            let args = call_info_args!(info; account as f64, call_key as f64, handle, whole_msg);
            self::call(env, &h.call, args)
        }
        EventKind::CallState { call_key, info } => {
            call::apply_state(call_key, &info);
            call(env, &h.call_state, call_info_args!(info; call_key as f64))
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
    }
}

/// The handlers of the running library, if any. Not borrowed while JS runs:
/// a handler may init() again.
fn current_handlers() -> Option<Rc<EventHandlers>> {
    HANDLERS.with(|h| h.borrow().clone())
}

/// An event raised inside a `Poll`: to its handler now, unless an earlier
/// event of this thread is still queued.
fn deliver_in_poll(env: &Env, event: Event) -> Option<Event> {
    if QUEUED_FROM_MAIN.with(Cell::get) > 0 {
        return Some(event);
    }
    if let Some(handlers) = current_handlers() {
        if let Err(err) = deliver(env, &handlers, event) {
            // As the queue's callback does with an error: it surfaces as a
            // JS exception, and the rest of this poll's events are queued.
            let _ = env.throw_error(&err.reason, None);
            POLLING.with(|p| p.set(None));
        }
    }
    None
}

/// The event sink that pjsip's threads call (it never blocks), with the
/// handlers of `handlers` (an object of functions, see `EventHandlers`),
/// and what asks for a `Poll` (loop signalling).
pub fn event_sink(env: &Env, handlers: &Object) -> Result<(EventSink, Box<dyn Fn()>)> {
    let table = EventHandlers::from_object(handlers)?;
    HANDLERS.with(|h| *h.borrow_mut() = Some(Rc::new(table)));
    QUEUED_FROM_MAIN.with(|q| q.set(0));
    // The queue's own JS function does nothing: each item calls its
    // handler from the callback.
    let wake = env.create_function_from_closure::<(), (), _>("sipsterEvents", |_| Ok(()))?;
    let tsfn: ThreadsafeFunction<Delivery, (), (), Status, false, true> = wake
        .build_threadsafe_function::<Delivery>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| match ctx.value {
            Delivery::Event { event, from_main } => {
                if from_main {
                    QUEUED_FROM_MAIN.with(|q| q.set(q.get().saturating_sub(1)));
                }
                match current_handlers() {
                    Some(handlers) => deliver(&ctx.env, &handlers, event),
                    None => Ok(()),
                }
            }
            Delivery::Poll => {
                if let Some(thread) = LibraryThread::current() {
                    POLLING.with(|p| p.set(Some(ctx.env)));
                    pjsip_sys::loop_poll(&thread);
                    POLLING.with(|p| p.set(None));
                }
                Ok(())
            }
        })?;
    let tsfn = std::sync::Arc::new(tsfn);
    let queue = tsfn.clone();
    let sink: EventSink = Box::new(move |event| {
        let event = match POLLING.with(Cell::get) {
            Some(env) => match deliver_in_poll(&env, event) {
                None => return,
                Some(event) => event,
            },
            None => event,
        };
        let from_main = LibraryThread::current().is_some();
        if from_main {
            QUEUED_FROM_MAIN.with(|q| q.set(q.get() + 1));
        }
        // Never blocks: the queue is unbounded. After Node began to shut
        // down the event is dropped, which is all that can be done with it.
        queue.call(
            Delivery::Event { event, from_main },
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    });
    let request_poll = Box::new(move || {
        tsfn.call(Delivery::Poll, ThreadsafeFunctionCallMode::NonBlocking);
    });
    Ok((sink, request_poll))
}
