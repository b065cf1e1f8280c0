//! `Account`: a SIP identity that registers, places and receives calls.

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::bridge::KeepAlive;
use crate::call::{self, CallHandle};
use crate::config::Merger;
use crate::error::{OrThrow, Result, SipsterError};
use crate::library::ensure_running_or_init;
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

#[napi]
pub struct AccountHandle {
    native: Option<pjsip_sys::Account>,
    /// The AccountConfig in force (pjsua2 JSON): `modify()` merges into it.
    config_json: String,
    key: u64,
    keepalive: KeepAlive,
}

impl AccountHandle {
    fn native(&self, what: &str) -> Result<&pjsip_sys::Account> {
        self.native
            .as_ref()
            .ok_or_else(|| SipsterError::invalid_state(format!("Account.{what}: the account has been deleted")))
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
        let mut keepalive = KeepAlive::default();
        keepalive.hold(&env)?;
        Ok(AccountHandle {
            native: Some(native),
            config_json,
            key,
            keepalive,
        })
    }

    /// Key under which this account's events arrive.
    #[napi(getter)]
    pub fn key(&self) -> f64 {
        self.key as f64
    }

    /// Applies the given fields on top of the config in force.
    #[napi]
    pub fn modify(&mut self, env: Env, config: Value) -> napi::Result<()> {
        let native = self.native("modify").or_throw(&env)?;
        let json = account_config_json(&self.config_json, &config).or_throw(&env)?;
        native.modify(&json).or_throw(&env)?;
        self.config_json = json;
        Ok(())
    }

    #[napi]
    pub fn get_info(&self, env: Env) -> napi::Result<AccountInfoObject> {
        let info = self.native("getInfo").or_throw(&env)?.info().or_throw(&env)?;
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
        let native = self.native("setRegistration").or_throw(&env)?;
        native.set_registration(renew).or_throw(&env)
    }

    #[napi]
    pub fn set_transport(&self, env: Env, transport: &TransportHandle) -> napi::Result<()> {
        let native = self.native("setTransport").or_throw(&env)?;
        let transport = transport.native_transport().or_throw(&env)?;
        native.set_transport(transport).or_throw(&env)
    }

    #[napi]
    pub fn make_call(
        &self,
        env: Env,
        destination: String,
        options: Option<MakeCallOptions>,
    ) -> napi::Result<CallHandle> {
        let native = self.native("makeCall").or_throw(&env)?;
        if destination.trim().is_empty() {
            return Err(
                SipsterError::invalid_argument("makeCall: destination must be a SIP URI, got ''")
                    .throw(&env),
            );
        }
        let headers = options.and_then(|o| o.headers);
        let op = call::call_op(None, None, headers).or_throw(&env)?;
        call::place(native, &destination, &op).or_throw(&env)
    }

    #[napi(getter)]
    pub fn valid(&self) -> bool {
        self.native.as_ref().is_some_and(|a| a.is_valid())
    }

    #[napi(getter)]
    pub fn is_default(&self) -> bool {
        self.native.as_ref().is_some_and(|a| a.is_default())
    }

    #[napi]
    pub fn set_default(&self, env: Env) -> napi::Result<()> {
        self.native("default").or_throw(&env)?.set_default().or_throw(&env)
    }

    #[napi(js_name = "ref")]
    pub fn hold_loop(&mut self, env: Env) -> napi::Result<()> {
        if self.native.is_some() {
            self.keepalive.hold(&env)?;
        }
        Ok(())
    }

    #[napi]
    pub fn unref(&mut self) {
        self.keepalive.release();
    }

    #[napi(getter)]
    pub fn referenced(&self) -> bool {
        self.keepalive.is_held()
    }

    /// Removes the account from pjsua (which unregisters it when it is
    /// registered); the object is then inert.
    #[napi]
    pub fn delete(&mut self) {
        self.native = None;
        self.keepalive.release();
    }
}
