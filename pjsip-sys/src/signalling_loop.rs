//! Signalling on Node's own thread (the default on Linux;
//! `SIPSTER_SIGNALLING=threads` opts out): the poll that the shim runs from
//! libuv's callbacks.

use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{events, ffi};

/// The owner's poll, as `lib_attach_loop` takes it.
pub type PollRunner = dyn Fn(PollPhase) -> bool;

thread_local! {
    /// What `lib_attach_loop` was given (library thread only).
    /// Shared, not borrowed, while it runs: JS in it may init() again.
    static RUN_POLL: std::cell::RefCell<Option<std::rc::Rc<PollRunner>>> =
        const { std::cell::RefCell::new(None) };
}

/// What the shim asks of `run_poll` (see `lib_attach_loop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollPhase {
    /// pjsip's work (`loop_poll`), no JS: `true` if events wait for delivery.
    Pjsip,
    /// The JS handlers, inside N-API scopes: `true` to be called again.
    Deliver,
}

unsafe extern "C" fn run_poll_trampoline(phase: c_int) -> c_int {
    let phase = if phase == ffi::SIPSTER_POLL_DELIVER as c_int {
        PollPhase::Deliver
    } else {
        PollPhase::Pjsip
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let run = RUN_POLL.with(|run| run.borrow().clone());
        run.is_some_and(|run| run(phase))
    }));
    c_int::from(result.unwrap_or(false))
}

/// When the library was initialised on Node's main thread (Linux), and
/// neither `SIPSTER_SIGNALLING=threads` nor `uaConfig.threadCnt` above 1
/// asked for pjsua's worker threads, pjsua runs no worker thread and pjsip's
/// sockets and timers are watched on that thread's libuv loop: when there
/// is work, `run_poll` is called right there, from libuv's callback. First with
/// `PollPhase::Pjsip`, outside any N-API scope: it calls `loop_poll`, must
/// not call JS, and returns whether events wait. Only then with
/// `PollPhase::Deliver`, inside an N-API handle scope and callback scope
/// that the shim opens on `napi_env` (this thread's environment, napi-rs's
/// `Env::raw()`): it calls the JS handlers; an exception it leaves pending
/// is reported as uncaught, and if it returned `true` (a handler threw and
/// events remain) it is called again at once. Returns whether signalling
/// now runs on the loop (else pjsua keeps its worker and `run_poll` is
/// never called).
pub fn lib_attach_loop(
    _on: &events::LibraryThread,
    napi_env: NapiEnv,
    run_poll: Box<PollRunner>,
) -> bool {
    RUN_POLL.with(|r| *r.borrow_mut() = Some(run_poll.into()));
    let attached =
        unsafe { ffi::sipster_lib_attach_loop(Some(run_poll_trampoline), napi_env.0) } != 0;
    if !attached {
        RUN_POLL.with(|r| r.borrow_mut().take());
    }
    attached
}

/// The N-API environment of the library's thread, for `lib_attach_loop`:
/// napi-rs's `Env::raw()` of a call into the addon on that thread. Made
/// from the raw pointer as napi-rs makes its own `Env` (`Env::from_raw` is
/// safe there too): it is only ever the environment napi-rs handed out.
pub struct NapiEnv(*mut c_void);

impl NapiEnv {
    pub fn from_raw(raw: *mut c_void) -> Self {
        NapiEnv(raw)
    }
}

/// Handles what pjsip has to do now (see `lib_attach_loop`); its callbacks
/// run inside, on this thread.
pub fn loop_poll(_on: &events::LibraryThread) {
    unsafe { ffi::sipster_loop_poll() }
}
