//! `Transport`: a SIP listening socket (UDP, TCP or TLS, over IPv4 or IPv6).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::config::Merger;
use crate::error::{ensure_running_or_init, OrThrow, Result, SipsterError};
use crate::owned::Owned;

/// `new Transport(config, type)`'s `type` -> pjsip_transport_type_e name.
const TYPES: &[(&str, &str)] = &[
    ("udp", "PJSIP_TRANSPORT_UDP"),
    ("tcp", "PJSIP_TRANSPORT_TCP"),
    ("tls", "PJSIP_TRANSPORT_TLS"),
    ("udp6", "PJSIP_TRANSPORT_UDP6"),
    ("tcp6", "PJSIP_TRANSPORT_TCP6"),
    ("tls6", "PJSIP_TRANSPORT_TLS6"),
];

fn transport_type(name: &str) -> Result<i32> {
    let pj_name = TYPES
        .iter()
        .find(|(js, _)| *js == name)
        .map(|(_, pj)| *pj)
        .ok_or_else(|| {
            SipsterError::invalid_value(format!(
                "type must be one of 'udp', 'tcp', 'tls', 'udp6', 'tcp6', 'tls6', not '{name}'"
            ))
        })?;
    pjsip_sys::constants()
        .into_iter()
        .find(|(n, _)| n == pj_name)
        .map(|(_, v)| v as i32)
        .ok_or_else(|| SipsterError::invalid_state(format!("{pj_name} is unknown")))
}

fn transport_config_json(user: &Value) -> Result<String> {
    let default = pjsip_sys::default_config("TransportConfig")?;
    Merger {
        name: "transportConfig",
        item_templates: None,
    }
    .merge(&default, user)
}

#[napi(object)]
pub struct TransportInfoObject {
    pub id: i32,
    /// Transport type name, e.g. `UDP`.
    #[napi(js_name = "type")]
    pub kind: String,
    pub info: String,
    pub flags: u32,
    pub local_address: String,
    pub local_name: String,
    pub usage_count: u32,
}

#[napi]
pub struct TransportHandle {
    owned: Owned<pjsip_sys::Transport>,
}

impl TransportHandle {
    /// Runs `f` on the open transport.
    pub(crate) fn with<R>(
        &self,
        what: &str,
        f: impl FnOnce(&pjsip_sys::Transport) -> Result<R>,
    ) -> Result<R> {
        let closed =
            || SipsterError::invalid_state(format!("Transport.{what}: the transport is closed"));
        self.owned.with(closed, |t| f(t))
    }
}

#[napi]
impl TransportHandle {
    /// Creates, binds and enables the transport; it starts ref'd.
    #[napi(constructor)]
    pub fn new(env: Env, config: Option<Value>, kind: Option<String>) -> napi::Result<Self> {
        ensure_running_or_init("new Transport").or_throw(&env)?;
        let kind = transport_type(kind.as_deref().unwrap_or("udp")).or_throw(&env)?;
        let json = transport_config_json(&config.unwrap_or(Value::Null)).or_throw(&env)?;
        let native = pjsip_sys::Transport::create(kind, &json).or_throw(&env)?;
        let owned = Owned::new(pjsip_sys::next_key(), native);
        owned.hold_loop(&env)?;
        Ok(TransportHandle { owned })
    }

    #[napi]
    pub fn get_info(&self, env: Env) -> napi::Result<TransportInfoObject> {
        let info = self.with("getInfo", |t| Ok(t.info()?)).or_throw(&env)?;
        Ok(TransportInfoObject {
            id: info.id,
            kind: info.type_name,
            info: info.info,
            flags: info.flags,
            local_address: info.local_address,
            local_name: info.local_name,
            usage_count: info.usage_count,
        })
    }

    #[napi]
    pub fn enable(&self, env: Env) -> napi::Result<()> {
        self.with("enable", |t| Ok(t.set_enabled(true)?))
            .or_throw(&env)
    }

    #[napi]
    pub fn disable(&self, env: Env) -> napi::Result<()> {
        self.with("disable", |t| Ok(t.set_enabled(false)?))
            .or_throw(&env)
    }

    #[napi(getter)]
    pub fn enabled(&self) -> bool {
        self.with("enabled", |t| Ok(t.is_enabled()))
            .unwrap_or(false)
    }

    #[napi(js_name = "ref")]
    pub fn hold_loop(&self, env: Env) -> napi::Result<()> {
        self.owned.hold_loop(&env)
    }

    #[napi]
    pub fn unref(&self) {
        self.owned.release_loop();
    }

    #[napi(getter)]
    pub fn referenced(&self) -> bool {
        self.owned.holds_loop()
    }

    /// Closes the socket once pjsip no longer uses it; the object is then inert.
    #[napi]
    pub fn close(&self) {
        self.owned.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_transport_types_are_value_errors() {
        let err = transport_type("sctp").unwrap_err();
        assert!(matches!(err, SipsterError::InvalidValue(_)));
        assert!(err.to_string().contains("'sctp'"));
    }
}
