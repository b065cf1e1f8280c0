//! `Account`: a SIP identity that registers, places and receives calls.

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::call::{self, CallHandle};
use crate::config::Merger;
use crate::error::{ensure_running_or_init, OrThrow, Result, SipsterError};
use crate::owned::Owned;
use crate::transport::TransportHandle;

/// Merges `user` into `base` (pjsua2 AccountConfig JSON).
fn account_config_json(base: &str, user: &Value) -> Result<String> {
    let items = pjsip_sys::default_config("AccountConfigItems")?;
    let templates: Value = serde_json::from_str(&items)
        .map_err(|e| SipsterError::invalid_state(format!("AccountConfig JSON: {e}")))?;
    Merger {
        name: "accountConfig",
        item_templates: Some(&templates),
    }
    .merge(base, user)
}

#[napi(object)]
pub struct AccountInfoObject {
    pub id: i32,
    pub uri: String,
    pub is_default: bool,
    pub reg_is_configured: bool,
    pub reg_is_active: bool,
    pub reg_expires_sec: i32,
    pub reg_status: i32,
    pub reg_status_text: String,
    pub online_status: bool,
}

/// Extra parameters of `makeCall()`.
#[napi(object)]
pub struct MakeCallOptions {
    /// Extra SIP headers for the INVITE, name -> value.
    pub headers: Option<HashMap<String, String>>,
}

/// Extra parameters of `sendMessage()`.
#[napi(object)]
pub struct SendMessageOptions {
    /// The body's type; `text/plain` when left out.
    pub content_type: Option<String>,
    /// Extra SIP headers for the MESSAGE, name -> value.
    pub headers: Option<HashMap<String, String>>,
}

struct AccountState {
    native: pjsip_sys::Account,
    /// The AccountConfig in force (pjsua2 JSON): `modify()` merges into it.
    config_json: String,
}

/// The shim's bit for each account event it sends only while listened to,
/// by JS event name.
const ACCOUNT_INTEREST: [(&str, u32); 2] = [
    ("message", pjsip_sys::interest::ACCOUNT_MESSAGE),
    (
        "replaceRequest",
        pjsip_sys::interest::ACCOUNT_REPLACE_REQUEST,
    ),
];

/// The interest bits by JS event name, for Account's listener tracking.
#[napi]
pub fn account_interest_bits() -> HashMap<String, u32> {
    call::interest_by_name(ACCOUNT_INTEREST)
}

#[napi]
pub struct AccountHandle {
    owned: Owned<AccountState>,
}

impl AccountHandle {
    /// Runs `f` on the account while it exists.
    fn with<R>(&self, what: &str, f: impl FnOnce(&mut AccountState) -> Result<R>) -> Result<R> {
        let deleted =
            || SipsterError::invalid_state(format!("Account.{what}: the account has been deleted"));
        self.owned.with(deleted, f)
    }
}

#[napi]
impl AccountHandle {
    /// Adds the account to pjsua (registering when `regConfig.registrarUri`
    /// is set); it starts ref'd.
    #[napi(constructor)]
    pub fn new(env: Env, config: Value, is_default: Option<bool>) -> napi::Result<Self> {
        ensure_running_or_init("new Account").or_throw(&env)?;
        let default = pjsip_sys::default_config("AccountConfig").or_throw(&env)?;
        let config_json = account_config_json(&default, &config).or_throw(&env)?;
        let key = pjsip_sys::next_key();
        let native = pjsip_sys::Account::create(&config_json, is_default.unwrap_or(false), key)
            .or_throw(&env)?;
        let owned = Owned::new(
            key,
            AccountState {
                native,
                config_json,
            },
        );
        owned.hold_loop(&env)?;
        Ok(AccountHandle { owned })
    }

    /// Key under which this account's events arrive.
    #[napi(getter)]
    pub fn key(&self) -> f64 {
        self.owned.key() as f64
    }

    /// Applies the given fields on top of the config in force.
    #[napi]
    pub fn modify(&self, env: Env, config: Value) -> napi::Result<()> {
        self.with("modify", |state| {
            let json = account_config_json(&state.config_json, &config)?;
            state.native.modify(&json)?;
            state.config_json = json;
            Ok(())
        })
        .or_throw(&env)
    }

    #[napi]
    pub fn get_info(&self, env: Env) -> napi::Result<AccountInfoObject> {
        let info = self
            .with("getInfo", |s| Ok(s.native.info()?))
            .or_throw(&env)?;
        Ok(AccountInfoObject {
            id: info.id,
            uri: info.uri,
            is_default: info.is_default,
            reg_is_configured: info.reg_is_configured,
            reg_is_active: info.reg_is_active,
            reg_expires_sec: info.reg_expires_sec,
            reg_status: info.reg_status,
            reg_status_text: info.reg_status_text,
            online_status: info.online_status,
        })
    }

    #[napi]
    pub fn set_registration(&self, env: Env, renew: bool) -> napi::Result<()> {
        self.with("setRegistration", |s| {
            Ok(s.native.set_registration(renew)?)
        })
        .or_throw(&env)
    }

    #[napi]
    pub fn set_transport(&self, env: Env, transport: &TransportHandle) -> napi::Result<()> {
        self.with("setTransport", |s| {
            transport.with("use", |t| Ok(s.native.set_transport(t)?))
        })
        .or_throw(&env)
    }

    #[napi]
    pub fn make_call(
        &self,
        env: Env,
        destination: String,
        options: Option<MakeCallOptions>,
    ) -> napi::Result<CallHandle> {
        call::check_destination("makeCall", &destination).or_throw(&env)?;
        let headers = options.and_then(|o| o.headers);
        let op = call::call_op(None, None, headers).or_throw(&env)?;
        self.with("makeCall", |s| call::place(&s.native, &destination, &op))
            .or_throw(&env)
    }

    /// Sends an out-of-dialog MESSAGE; returns the token that its final
    /// response's `messageStatus` event carries.
    #[napi]
    pub fn send_message(
        &self,
        env: Env,
        uri: String,
        body: String,
        options: Option<SendMessageOptions>,
    ) -> napi::Result<f64> {
        call::check_destination("sendMessage", &uri).or_throw(&env)?;
        let (content_type, headers) = match options {
            Some(o) => (o.content_type, o.headers),
            None => (None, None),
        };
        let content_type = content_type.unwrap_or_else(|| "text/plain".to_string());
        call::check_content_type("sendMessage: options.contentType", &content_type)
            .or_throw(&env)?;
        let op = call::call_op(None, None, headers).or_throw(&env)?;
        let token = pjsip_sys::next_key();
        self.with("sendMessage", |s| {
            Ok(s.native
                .send_message(&uri, &content_type, &body, &op, token)?)
        })
        .or_throw(&env)?;
        Ok(token as f64)
    }

    /// The OR of the `accountInterestBits()` of the events that have
    /// listeners: INVITEs with Replaces are held for a decision only while
    /// `replaceRequest` has one, and MESSAGEs are copied only while
    /// `message` has one.
    #[napi]
    pub fn listen_to(&self, listened: u32) {
        let mask = listened & ACCOUNT_INTEREST.iter().fold(0, |all, (_, bit)| all | bit);
        let _ = self.with("listenTo", |s| {
            s.native.set_interest(mask);
            Ok(())
        });
    }

    #[napi(getter)]
    pub fn valid(&self) -> bool {
        self.with("valid", |s| Ok(s.native.is_valid()))
            .unwrap_or(false)
    }

    #[napi(getter)]
    pub fn is_default(&self) -> bool {
        self.with("default", |s| Ok(s.native.is_default()))
            .unwrap_or(false)
    }

    #[napi]
    pub fn set_default(&self, env: Env) -> napi::Result<()> {
        self.with("default", |s| Ok(s.native.set_default()?))
            .or_throw(&env)
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

    /// Removes the account from pjsua (which unregisters it when it is
    /// registered); the object is then inert.
    #[napi]
    pub fn delete(&self) {
        self.owned.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_interest_has_one_distinct_bit_per_event() {
        let bits = account_interest_bits();
        assert_eq!(bits["message"], pjsip_sys::interest::ACCOUNT_MESSAGE);
        assert_eq!(
            bits["replaceRequest"],
            pjsip_sys::interest::ACCOUNT_REPLACE_REQUEST
        );
        assert_eq!(bits.len(), 2);
        assert_eq!(bits["message"] & bits["replaceRequest"], 0);
        // 'call' and the registration events are always sent: no bit.
        assert!(!bits.contains_key("call"));
    }
}
