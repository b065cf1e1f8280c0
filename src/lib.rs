//! sipster: a Node.js binding for pjsua2.
//!
//! One file per JS class (`transport`, `account`, `call`, `media`), the
//! library lifecycle, the event bridge from pjsip's threads to JS, live
//! audio (`audio`, `wav`), what keeps Node's loop alive (`keepalive`), GC-
//! independent ownership (`owned`), config merging, and the error type. All
//! FFI and every `unsafe` block live in the `pjsip-sys` crate.
//!
//! `deny`, not `forbid`, for the crate: the code that `#[napi]` generates
//! (module registration through `ctor`) carries its own
//! `#[allow(unsafe_code)]`, which `forbid` would reject. Code written here
//! cannot use `unsafe` without an `allow` that review would see, and there
//! is none; every module with no `#[napi]` item (`bridge`, `config`,
//! `error`, `keepalive`, `owned`, `wav`) forbids it outright.
#![deny(unsafe_code)]
// The test build has no N-API registration: what only JS calls looks unused.
#![cfg_attr(test, allow(dead_code))]

mod account;
mod audio;
mod bridge;
mod call;
mod config;
mod error;
mod keepalive;
mod library;
mod media;
mod owned;
mod transport;
mod wav;
