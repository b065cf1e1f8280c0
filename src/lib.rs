//! sipster: a Node.js binding for pjsua2.
//!
//! One file per JS class (`transport`, `account`, `call`, `media`), the
//! library lifecycle, the event bridge from pjsip's threads to JS, config
//! merging, and the error type. All FFI lives in the `pjsip-sys` crate.

mod account;
mod audio;
mod bridge;
mod call;
mod config;
mod error;
mod library;
mod media;
mod transport;
mod wav;
