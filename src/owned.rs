//! Ownership independent of the garbage collector: transports, accounts,
//! players and recorders are `Owned`, so the library, not the garbage
//! collector, decides when they close.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use napi::bindgen_prelude::*;

use crate::error::SipsterError;
use crate::keepalive::KeepAlive;

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
