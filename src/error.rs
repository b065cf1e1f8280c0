//! The one error type of the addon, and how it becomes a JS exception.
//!
//! Argument mistakes become `TypeError`/`RangeError` with `code` set the way
//! Node's own errors are (`ERR_INVALID_ARG_TYPE` for a wrong type,
//! `ERR_INVALID_ARG_VALUE` for the right type with a wrong value,
//! `ERR_OUT_OF_RANGE` for a number outside its range); a
//! failure inside pjsip becomes an `Error` with `code = 'ERR_PJSIP'` and the
//! pjsip status as the number `status`.
#![forbid(unsafe_code)]

use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, JsError, JsRangeError, JsTypeError, JsValue, Status};
use pjsip_sys::{PjError, PJ_EINVALIDOP};

#[derive(Debug, thiserror::Error)]
pub enum SipsterError {
    /// pjsip refused or failed the operation.
    #[error("{message}")]
    Pjsip { status: i32, message: String },
    /// An argument or config field has the wrong type or shape.
    #[error("{0}")]
    InvalidArgument(String),
    /// An argument has the right type but a value the call cannot take.
    #[error("{0}")]
    InvalidValue(String),
    /// A number is outside what the field accepts.
    #[error("{0}")]
    OutOfRange(String),
    /// The object or the library is not in a state that allows the call.
    #[error("{0}")]
    InvalidState(String),
}

pub type Result<T> = std::result::Result<T, SipsterError>;

impl From<PjError> for SipsterError {
    fn from(e: PjError) -> Self {
        SipsterError::Pjsip {
            status: e.status,
            message: e.message,
        }
    }
}

impl SipsterError {
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        SipsterError::InvalidArgument(message.into())
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        SipsterError::InvalidValue(message.into())
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        SipsterError::InvalidState(message.into())
    }

    fn code(&self) -> &'static str {
        match self {
            SipsterError::Pjsip { .. } => "ERR_PJSIP",
            SipsterError::InvalidArgument(_) => "ERR_INVALID_ARG_TYPE",
            SipsterError::InvalidValue(_) => "ERR_INVALID_ARG_VALUE",
            SipsterError::OutOfRange(_) => "ERR_OUT_OF_RANGE",
            SipsterError::InvalidState(_) => "ERR_SIPSTER_STATE",
        }
    }

    fn status(&self) -> Option<i32> {
        match self {
            SipsterError::Pjsip { status, .. } => Some(*status),
            SipsterError::InvalidState(_) => Some(PJ_EINVALIDOP),
            _ => None,
        }
    }

    /// Throws this error as the right JS class with `code` and `status`
    /// set, and returns the marker napi-rs uses for "already thrown".
    pub fn throw(self, env: &Env) -> napi::Error {
        let message = self.to_string();
        let status = self.status();
        let code = self.code();
        let error = napi::Error::new(Status::GenericFailure, message.clone());
        let value = match self {
            SipsterError::InvalidArgument(_) | SipsterError::InvalidValue(_) => {
                JsTypeError::from(error).into_unknown(*env)
            }
            SipsterError::OutOfRange(_) => JsRangeError::from(error).into_unknown(*env),
            _ => JsError::from(error).into_unknown(*env),
        };
        let decorated = value.coerce_to_object().and_then(|mut object| {
            object.set_named_property("code", code)?;
            if let Some(status) = status {
                object.set_named_property("status", status)?;
            }
            Ok(object)
        });
        match decorated.and_then(|object| env.throw(object)) {
            Ok(()) => napi::Error::new(Status::PendingException, message),
            Err(_) => napi::Error::new(Status::GenericFailure, message),
        }
    }
}

/// Fails with a state error until `init()` (and after `shutdown()`): what
/// every class checks before it calls into pjsua. Here rather than in
/// library.rs so that the classes do not depend on the library's module.
pub(crate) fn ensure_running_or_init(what: &str) -> Result<()> {
    match pjsip_sys::lib_state() {
        Some(_) => Ok(()),
        None => Err(SipsterError::invalid_state(format!(
            "{what}: the library is not initialized (call init() first)"
        ))),
    }
}

/// For the few places without an `Env` at hand: a plain `Error` whose
/// `code` is the same string as above.
impl From<SipsterError> for napi::Error {
    fn from(e: SipsterError) -> Self {
        let status = match &e {
            SipsterError::InvalidArgument(_)
            | SipsterError::InvalidValue(_)
            | SipsterError::OutOfRange(_) => Status::InvalidArg,
            _ => Status::GenericFailure,
        };
        napi::Error::new(status, e.to_string())
    }
}

/// `result.or_throw(env)?` in every exported function.
pub trait OrThrow<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T, E: Into<SipsterError>> OrThrow<T> for std::result::Result<T, E> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| e.into().throw(env))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pjsip_errors_keep_their_status_and_message() {
        let e: SipsterError = PjError {
            status: pjsip_sys::PJSIP_ESESSIONTERMINATED,
            message: "Call.answer: the call has ended".into(),
        }
        .into();
        assert_eq!(e.status(), Some(pjsip_sys::PJSIP_ESESSIONTERMINATED));
        assert_eq!(e.code(), "ERR_PJSIP");
        assert_eq!(e.to_string(), "Call.answer: the call has ended");
    }

    #[test]
    fn argument_errors_use_node_codes() {
        assert_eq!(
            SipsterError::invalid_argument("x").code(),
            "ERR_INVALID_ARG_TYPE"
        );
        assert_eq!(SipsterError::invalid_argument("x").status(), None);
        assert_eq!(
            SipsterError::invalid_value("x").code(),
            "ERR_INVALID_ARG_VALUE"
        );
        assert_eq!(
            SipsterError::invalid_state("x").status(),
            Some(PJ_EINVALIDOP)
        );
    }
}
