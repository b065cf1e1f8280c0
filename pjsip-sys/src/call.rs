//! `Call`: the RAII wrapper of the shim's call handle.

use std::ptr::{self, NonNull};

use crate::{c_string, check, ffi, take_string, visit, CallInfo, CallOp, Result};

pub struct Call(pub(crate) NonNull<ffi::sipster_call>);

macro_rules! call_op {
    ($name:ident, $ffi:ident) => {
        pub fn $name(&self, op: &CallOp) -> Result<()> {
            let op = op.lower()?;
            check(|err| unsafe { ffi::$ffi(self.0.as_ptr(), &op.raw, err) })
        }
    };
}

/// Bits of `Call::set_interest`: the events the owner wants.
pub mod interest {
    use crate::ffi;

    pub const ALL: u32 = ffi::SIPSTER_INTEREST_ALL;
    pub const DTMF: u32 = ffi::SIPSTER_INTEREST_DTMF;
    pub const TRANSFER_STATUS: u32 = ffi::SIPSTER_INTEREST_TRANSFER_STATUS;
    pub const INFO: u32 = ffi::SIPSTER_INTEREST_INFO;
    pub const TRANSFER_REQUEST: u32 = ffi::SIPSTER_INTEREST_TRANSFER_REQUEST;
    /// `Account::set_interest`: INVITEs with Replaces are held for a decision.
    pub const ACCOUNT_REPLACE_REQUEST: u32 = ffi::SIPSTER_ACCOUNT_INTEREST_REPLACE_REQUEST;
    /// `Account::set_interest`: MESSAGEs are copied and sent.
    pub const ACCOUNT_MESSAGE: u32 = ffi::SIPSTER_ACCOUNT_INTEREST_MESSAGE;

    /// The bit of a pjsip_inv_state.
    pub const fn state(state: u32) -> u32 {
        1 << state
    }
}

impl Call {
    /// Which events the shim copies and sends for this call (`interest`
    /// bits); the end of the call is always sent.
    pub fn set_interest(&self, mask: u32) {
        unsafe { ffi::sipster_call_set_interest(self.0.as_ptr(), mask) }
    }

    pub fn is_finished(&self) -> bool {
        unsafe { ffi::sipster_call_is_finished(self.0.as_ptr()) != 0 }
    }

    pub fn info(&self) -> Result<CallInfo> {
        visit(CallInfo::from_raw, |f, ctx| {
            check(|err| unsafe { ffi::sipster_call_get_info(self.0.as_ptr(), Some(f), ctx, err) })
        })
    }

    call_op!(answer, sipster_call_answer);
    call_op!(hangup, sipster_call_hangup);
    call_op!(hold, sipster_call_hold);
    call_op!(reinvite, sipster_call_reinvite);
    call_op!(update, sipster_call_update);

    pub fn transfer(&self, dest_uri: &str, op: &CallOp) -> Result<()> {
        let dest = c_string("destination", dest_uri)?;
        let op = op.lower()?;
        check(|err| unsafe {
            ffi::sipster_call_transfer(self.0.as_ptr(), dest.as_ptr(), &op.raw, err)
        })
    }

    /// Attended transfer: a REFER whose Refer-To replaces `other`'s dialog.
    pub fn transfer_replaces(&self, other: &Call, op: &CallOp) -> Result<()> {
        let op = op.lower()?;
        check(|err| unsafe {
            ffi::sipster_call_transfer_replaces(self.0.as_ptr(), other.0.as_ptr(), &op.raw, err)
        })
    }

    /// Sends DTMF: in the RTP stream (RFC 2833), or as SIP INFO requests
    /// when `by_info`; `duration_ms` 0 is pjsua's default.
    pub fn dial_dtmf(&self, digits: &str, by_info: bool, duration_ms: u32) -> Result<()> {
        let digits = c_string("digits", digits)?;
        check(|err| unsafe {
            ffi::sipster_call_dial_dtmf(
                self.0.as_ptr(),
                digits.as_ptr(),
                i32::from(by_info),
                duration_ms,
                err,
            )
        })
    }

    /// Sends an INFO with this body and the headers of `op`; its final
    /// response comes as `EventKind::InfoStatus` with this `token`.
    pub fn send_info(&self, content_type: &str, body: &str, op: &CallOp, token: u64) -> Result<()> {
        let content_type = c_string("contentType", content_type)?;
        let body = c_string("body", body)?;
        let op = op.lower()?;
        check(|err| unsafe {
            ffi::sipster_call_send_info(
                self.0.as_ptr(),
                content_type.as_ptr(),
                body.as_ptr(),
                op.raw.headers,
                op.raw.header_count,
                token,
                err,
            )
        })
    }

    /// Once the call has ended, its statistics as they were at the end
    /// (with and without media, no indent); `None` before.
    pub fn final_stats(&self) -> Option<(String, String)> {
        let with_media = unsafe { ffi::sipster_call_final_stats(self.0.as_ptr(), 1) };
        if with_media.is_null() {
            return None;
        }
        let without = unsafe { ffi::sipster_call_final_stats(self.0.as_ptr(), 0) };
        Some((take_string(with_media), take_string(without)))
    }

    pub fn stats_dump(&self, with_media: bool, indent: &str) -> Result<String> {
        let indent = c_string("indent", indent)?;
        let mut out = ptr::null_mut();
        check(|err| unsafe {
            ffi::sipster_call_stats_dump(
                self.0.as_ptr(),
                i32::from(with_media),
                indent.as_ptr(),
                &mut out,
                err,
            )
        })?;
        Ok(take_string(out))
    }

    pub fn conf_slot(&self, media_index: u32) -> Result<i32> {
        let mut slot = -1;
        check(|err| unsafe {
            ffi::sipster_call_conf_slot(self.0.as_ptr(), media_index, &mut slot, err)
        })?;
        Ok(slot)
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        unsafe { ffi::sipster_call_destroy(self.0.as_ptr()) }
    }
}
