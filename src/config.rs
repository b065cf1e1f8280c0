//! Config objects from JS, merged into pjsua2's own defaults.
//!
//! pjsua2 serialises every config class to JSON (`JsonDocument`). The shim
//! hands out the JSON of a default-constructed config; the user's object is
//! merged into it field by field, each value checked against the type of
//! the default, and the result goes back to pjsua2's reader. So every field
//! the user leaves out keeps pjsua2's default, and every pjsua2 field can be
//! set. pjsua2's reader is sequential, so key order must be kept
//! (serde_json's `preserve_order`).
//!
//! pjsua2 names nested sections after their class (`UaConfig`,
//! `AccountRegConfig`, ...); JS uses the member names (`uaConfig`,
//! `regConfig`, ...). `ALIASES` maps between the two.
#![forbid(unsafe_code)]

use serde_json::{Map, Value};

use crate::error::{Result, SipsterError};

/// JS member name -> pjsua2 JSON section name.
const ALIASES: &[(&str, &str)] = &[
    ("uaConfig", "UaConfig"),
    ("logConfig", "LogConfig"),
    ("medConfig", "MediaConfig"),
    ("regConfig", "AccountRegConfig"),
    ("sipConfig", "AccountSipConfig"),
    ("callConfig", "AccountCallConfig"),
    ("presConfig", "AccountPresConfig"),
    ("mwiConfig", "AccountMwiConfig"),
    ("natConfig", "AccountNatConfig"),
    ("mediaConfig", "AccountMediaConfig"),
    ("videoConfig", "AccountVideoConfig"),
    ("ipChangeConfig", "AccountIpChangeConfig"),
    ("srtpOpt", "SrtpOpt"),
    ("transportConfig", "TransportConfig"),
    ("tlsConfig", "TlsConfig"),
];

/// Numeric fields with a narrower range than pjsua2's JSON shows (by their
/// pjsua2 key): ports, counts and durations that must not be negative.
const RANGES: &[(&str, i64, i64)] = &[
    ("port", 0, 65535),
    ("portRange", 0, 65535),
    ("maxCalls", 1, u32::MAX as i64),
    ("threadCnt", 0, 256),
    ("clockRate", 8000, 192000),
    ("sndClockRate", 0, 192000),
    ("channelCount", 1, 8),
    ("audioFramePtime", 10, 500),
    ("maxMediaPorts", 2, 65535),
    ("ptime", 0, 500),
    ("quality", 0, 10),
    ("ecTailLen", 0, 5000),
    ("timeoutSec", 0, u32::MAX as i64),
    ("retryIntervalSec", 0, u32::MAX as i64),
    ("firstRetryIntervalSec", 0, u32::MAX as i64),
    ("randomRetryIntervalSec", 0, u32::MAX as i64),
    ("delayBeforeRefreshSec", 0, u32::MAX as i64),
    ("unregWaitMsec", 0, u32::MAX as i64),
    ("timerMinSESec", 90, u32::MAX as i64),
    ("timerSessExpiresSec", 90, u32::MAX as i64),
    ("udpKaIntervalSec", 0, u32::MAX as i64),
    ("expirationSec", 0, u32::MAX as i64),
    ("msecTimeout", 0, u32::MAX as i64),
    ("level", 0, 6),
    ("consoleLevel", 0, 6),
];

/// What any integer field holds: pjsua2's are 32-bit, signed or not.
const INTEGER_RANGE: (i64, i64) = (i32::MIN as i64, u32::MAX as i64);

fn integer_range(pj_key: &str) -> (i64, i64) {
    RANGES
        .iter()
        .find(|(k, _, _)| *k == pj_key)
        .map(|(_, lo, hi)| (*lo, *hi))
        .unwrap_or(INTEGER_RANGE)
}

/// Finds the pjsua2 key for a JS key in `section`.
fn resolve_key(section: &Map<String, Value>, js_key: &str) -> Option<String> {
    let candidates = [
        Some(js_key.to_string()),
        ALIASES
            .iter()
            .find(|(js, _)| *js == js_key)
            .map(|(_, pj)| pj.to_string()),
        // `CaListFile`, `CaBuf` are capitalised in pjsua2's JSON.
        Some(upper_first(js_key)),
        // QoS params are written as `qos.flags`, `qos.dscp_val`, ...
        Some(format!("qos.{js_key}")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|k| section.contains_key(k))
}

/// The JS name of a pjsua2 JSON key (the inverse of `resolve_key`).
fn js_key(pj_key: &str) -> String {
    if let Some((js, _)) = ALIASES.iter().find(|(_, pj)| *pj == pj_key) {
        return js.to_string();
    }
    let key = pj_key.strip_prefix("qos.").unwrap_or(pj_key);
    lower_first(key)
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Merges a user config into a pjsua2 default config.
pub struct Merger<'a> {
    /// What the error messages call the whole object, e.g. `accountConfig`.
    pub name: &'a str,
    /// A document shaped like the default whose arrays of objects each hold
    /// one default element: the template for array items.
    pub item_templates: Option<&'a Value>,
}

impl Merger<'_> {
    /// `default` is pjsua2's JSON (`{"AccountConfig": {...}}`); `user` the JS
    /// object. Returns the merged JSON in pjsua2's form.
    pub fn merge(&self, default: &str, user: &Value) -> Result<String> {
        let mut doc: Value = serde_json::from_str(default)
            .map_err(|e| SipsterError::invalid_state(format!("pjsua2 config JSON: {e}")))?;
        let (root_key, root) = single_root(&mut doc)?;
        let templates = self.item_templates.and_then(|t| t.get(&root_key)).cloned();
        match user {
            Value::Null => {}
            Value::Object(user) => {
                self.merge_section(root, user, "", templates.as_ref())?;
            }
            other => {
                return Err(SipsterError::invalid_argument(format!(
                    "{} must be an object, not {}",
                    self.name,
                    type_name(other)
                )))
            }
        }
        Ok(doc.to_string())
    }

    fn merge_section(
        &self,
        target: &mut Map<String, Value>,
        user: &Map<String, Value>,
        path: &str,
        templates: Option<&Value>,
    ) -> Result<()> {
        for (key, value) in user {
            let field = join(path, key);
            // `null` means "leave the default", as an omitted field does.
            if value.is_null() {
                continue;
            }
            let pj_key = resolve_key(target, key).ok_or_else(|| {
                SipsterError::invalid_argument(format!("{}: unknown field '{field}'", self.name))
            })?;
            let template = templates.and_then(|t| t.get(&pj_key));
            let range = integer_range(&pj_key);
            let slot = target.get_mut(&pj_key).expect("resolved key exists");
            self.merge_value(slot, value, &field, template, range)?;
        }
        Ok(())
    }

    fn merge_value(
        &self,
        slot: &mut Value,
        value: &Value,
        field: &str,
        template: Option<&Value>,
        (min, max): (i64, i64),
    ) -> Result<()> {
        match (&mut *slot, value) {
            (Value::Bool(_), Value::Bool(_)) | (Value::String(_), Value::String(_)) => {
                *slot = value.clone();
            }
            (Value::Number(current), Value::Number(new)) => {
                let wants_integer = current.is_i64() || current.is_u64();
                let f = new.as_f64().unwrap_or(f64::NAN);
                if wants_integer && (f.fract() != 0.0 || !f.is_finite()) {
                    return Err(SipsterError::OutOfRange(format!(
                        "{}: field '{field}' must be an integer, got {new}",
                        self.name
                    )));
                }
                if wants_integer && !(min as f64..=max as f64).contains(&f) {
                    return Err(SipsterError::OutOfRange(format!(
                        "{}: field '{field}' must be from {min} to {max}, got {new}",
                        self.name
                    )));
                }
                *slot = if wants_integer {
                    // Integral already; keeps pjsua2's reader on integers.
                    Value::from(f as i64)
                } else {
                    value.clone()
                };
            }
            (Value::Object(target), Value::Object(user)) => {
                self.merge_section(target, user, field, template)?;
            }
            (Value::Array(items), Value::Array(user_items)) => {
                // Items take their shape from the default array, else from
                // the template; pjsua2 writes some records flat (an SRTP
                // crypto is key, name, flags in a row), so shapes repeat.
                let shapes: Vec<Value> = if items.is_empty() {
                    template
                        .and_then(|t| t.as_array().cloned())
                        .unwrap_or_default()
                } else {
                    items.clone()
                };
                let mut merged = Vec::with_capacity(user_items.len());
                for (i, item) in user_items.iter().enumerate() {
                    let item_field = format!("{field}[{i}]");
                    let element = (!shapes.is_empty()).then(|| &shapes[i % shapes.len()]);
                    let mut slot = match element {
                        Some(e) => e.clone(),
                        // An empty array of scalars: any string or number.
                        None if item.is_string() || item.is_number() => item.clone(),
                        None => {
                            return Err(SipsterError::invalid_argument(format!(
                                "{}: field '{item_field}' must be a string or a number",
                                self.name
                            )))
                        }
                    };
                    self.merge_value(&mut slot, item, &item_field, element, INTEGER_RANGE)?;
                    merged.push(slot);
                }
                *items = merged;
            }
            (current, _) => {
                return Err(SipsterError::invalid_argument(format!(
                    "{}: field '{field}' must be {}, not {}",
                    self.name,
                    type_name(current),
                    type_name(value)
                )));
            }
        }
        Ok(())
    }
}

fn single_root(doc: &mut Value) -> Result<(String, &mut Map<String, Value>)> {
    let object = doc
        .as_object_mut()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| SipsterError::invalid_state("pjsua2 config JSON has no single root"))?;
    let (key, root) = object.iter_mut().next().expect("one entry");
    let root = root
        .as_object_mut()
        .ok_or_else(|| SipsterError::invalid_state("pjsua2 config root is not an object"))?;
    Ok((key.clone(), root))
}

/// pjsua2's JSON of a config as the object JS sees: JS member names, root
/// section unwrapped.
pub fn to_js_shape(pj_json: &str) -> Result<Value> {
    let mut doc: Value = serde_json::from_str(pj_json)
        .map_err(|e| SipsterError::invalid_state(format!("pjsua2 config JSON: {e}")))?;
    let (_, root) = single_root(&mut doc)?;
    Ok(rename_keys(Value::Object(root.clone())))
}

fn rename_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (js_key(&k), rename_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rename_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULT: &str = r#"{"AccountConfig":{"priority":0,"idUri":"",
        "AccountRegConfig":{"registrarUri":"","timeoutSec":300,"headers":[]},
        "AccountSipConfig":{"proxies":[],"transportId":-1,"authCreds":[]},
        "AccountMediaConfig":{"TransportConfig":{"port":4000,"qosParams":{"qos.flags":0},
            "TlsConfig":{"CaListFile":""}}}}}"#;

    fn templates() -> Value {
        json!({"AccountConfig":{"AccountSipConfig":{"authCreds":[
            {"scheme":"","realm":"","username":"","dataType":0,"data":""}]}}})
    }

    fn merge(user: Value) -> Result<Value> {
        let t = templates();
        let merger = Merger {
            name: "accountConfig",
            item_templates: Some(&t),
        };
        Ok(serde_json::from_str(&merger.merge(DEFAULT, &user)?).unwrap())
    }

    #[test]
    fn unset_fields_keep_the_defaults_and_order() {
        let out = merge(json!({"idUri": "sip:a@127.0.0.1"})).unwrap();
        let root = &out["AccountConfig"];
        assert_eq!(root["idUri"], "sip:a@127.0.0.1");
        assert_eq!(root["AccountRegConfig"]["timeoutSec"], 300);
        let keys: Vec<_> = root.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys[0], "priority");
        assert_eq!(keys[1], "idUri");
    }

    #[test]
    fn nested_sections_use_js_member_names() {
        let out = merge(json!({
            "regConfig": {"registrarUri": "sip:127.0.0.1", "timeoutSec": 60},
            "mediaConfig": {"transportConfig": {"port": 5000,
                "qosParams": {"flags": 1}, "tlsConfig": {"caListFile": "ca.pem"}}}
        }))
        .unwrap();
        let root = &out["AccountConfig"];
        assert_eq!(root["AccountRegConfig"]["timeoutSec"], 60);
        let tp = &root["AccountMediaConfig"]["TransportConfig"];
        assert_eq!(tp["port"], 5000);
        assert_eq!(tp["qosParams"]["qos.flags"], 1);
        assert_eq!(tp["TlsConfig"]["CaListFile"], "ca.pem");
    }

    #[test]
    fn array_items_start_from_their_template() {
        let out = merge(json!({"sipConfig": {
            "authCreds": [{"realm": "*", "username": "alice", "data": "secret"}],
            "proxies": ["sip:proxy"]}}))
        .unwrap();
        let cred = &out["AccountConfig"]["AccountSipConfig"]["authCreds"][0];
        assert_eq!(cred["username"], "alice");
        assert_eq!(cred["scheme"], "");
        assert_eq!(cred["dataType"], 0);
        assert_eq!(
            out["AccountConfig"]["AccountSipConfig"]["proxies"][0],
            "sip:proxy"
        );
    }

    #[test]
    fn flat_records_repeat_their_template_shape() {
        let default = r#"{"AccountConfig":{"SrtpOpt":{"cryptos":[]}}}"#;
        let t = json!({"AccountConfig":{"SrtpOpt":{"cryptos":["", "", 0]}}});
        let merger = Merger {
            name: "accountConfig",
            item_templates: Some(&t),
        };
        let user = json!({"srtpOpt": {"cryptos": ["k", "AES_CM_128_HMAC_SHA1_80", 0]}});
        let out: Value = serde_json::from_str(&merger.merge(default, &user).unwrap()).unwrap();
        assert_eq!(out["AccountConfig"]["SrtpOpt"]["cryptos"][2], 0);
        let bad = json!({"srtpOpt": {"cryptos": ["k", "AES", "0"]}});
        let err = merger.merge(default, &bad).unwrap_err();
        assert!(err
            .to_string()
            .contains("'srtpOpt.cryptos[2]' must be a number"));
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = merge(json!({"regConfig": {"timeoutSec": "60"}})).unwrap_err();
        assert!(matches!(err, SipsterError::InvalidArgument(_)));
        assert_eq!(
            err.to_string(),
            "accountConfig: field 'regConfig.timeoutSec' must be a number, not a string"
        );
        let err = merge(json!({"sipConfig": {"authCreds": [{"username": 5}]}})).unwrap_err();
        assert!(err
            .to_string()
            .contains("'sipConfig.authCreds[0].username'"));
        let err = merge(json!({"idUri": ["x"]})).unwrap_err();
        assert!(err
            .to_string()
            .contains("'idUri' must be a string, not an array"));
    }

    #[test]
    fn unknown_fields_and_fractions_are_refused() {
        let err = merge(json!({"regConfig": {"timeout": 1}})).unwrap_err();
        assert!(err
            .to_string()
            .contains("unknown field 'regConfig.timeout'"));
        let err = merge(json!({"priority": 1.5})).unwrap_err();
        assert!(matches!(err, SipsterError::OutOfRange(_)));
        let err = merge(json!("sip:x")).unwrap_err();
        assert!(err.to_string().contains("must be an object"));
    }

    #[test]
    fn numbers_outside_their_range_are_refused() {
        let err = merge(json!({"mediaConfig": {"transportConfig": {"port": 70000}}})).unwrap_err();
        assert!(matches!(err, SipsterError::OutOfRange(_)));
        assert!(err
            .to_string()
            .contains("'mediaConfig.transportConfig.port' must be from 0 to 65535, got 70000"));
        assert!(merge(json!({"regConfig": {"timeoutSec": -1}})).is_err());
        assert!(merge(json!({"priority": 5_000_000_000i64})).is_err());
        assert!(merge(json!({"regConfig": {"timeoutSec": 60}})).is_ok());
    }

    #[test]
    fn null_keeps_the_default() {
        let out = merge(json!({"idUri": null})).unwrap();
        assert_eq!(out["AccountConfig"]["idUri"], "");
    }

    #[test]
    fn js_shape_renames_sections_back() {
        let js = to_js_shape(DEFAULT).unwrap();
        assert_eq!(js["regConfig"]["timeoutSec"], 300);
        assert_eq!(
            js["mediaConfig"]["transportConfig"]["tlsConfig"]["caListFile"],
            ""
        );
        assert_eq!(
            js["mediaConfig"]["transportConfig"]["qosParams"]["flags"],
            0
        );
    }
}
