//! What keeps Node's loop alive: the event channel never does. Each JS
//! object that is ref'd holds a `KeepAlive`; while at least one is held, an
//! otherwise unused threadsafe function keeps the loop referenced.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;

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
