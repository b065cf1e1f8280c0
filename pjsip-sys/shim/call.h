// Internal to the shim: the native call (call.cpp).
#ifndef SIPSTER_SHIM_CALL_H
#define SIPSTER_SHIM_CALL_H

#include <deque>
#include <functional>

#include "library.h"

namespace sipster_shim {

// The native call. It outlives the SIP dialog only as an inert shell: once
// pjsua reports DISCONNECTED, `finished` is set and no operation touches
// pjsua again, because pjsua reuses the call id for the next call.
class ShimCall : public pj::Call {
 public:
  ShimCall(pj::Account &account, uint64_t key, int call_id = PJSUA_INVALID_ID)
      : pj::Call(account, call_id), key(key) {}

  const uint64_t key;
  std::atomic<bool> finished{false};
  // SIPSTER_INTEREST_* bits of the events the owner wants (sipster.h).
  std::atomic<uint32_t> interest{SIPSTER_INTEREST_ALL};
  std::string src_address;  // of the INVITE, for incoming calls
  // The identity strings as this call's events last said them (event
  // callbacks only): local URI, local contact, remote URI, remote contact,
  // Call-ID, source address.
  std::string said[6];
  // Headers given to earlier answers, by name: pjsip keeps them in the
  // answer it builds next (see answer_headers.cpp). Owning thread only.
  HeaderCounts answer_headers;
  // The reason given to hangup(), reported at the end instead of pjsua's.
  std::mutex hangup_mutex;
  std::string hangup_reason;
  // getStatsDump() of the call as it ended (indent "", with media):
  // written once on pjsip's thread before `finished` is set.
  std::string final_stats;

  // Called from the owning thread only, after `finished` or after
  // libDestroy: detaches the pjsua2 object from the (reused) call id so that
  // its destructor neither clears another call's user data nor hangs it up.
  void detach();

  // Calls `visit` with the call's info from pjsua's C info `raw` (no pjsua2
  // CallInfo). `adjust`, if given, may change it first. With `changes_only`
  // (event callbacks, which pjsua serialises per call) the identity strings
  // that the call's previous event already said are left NULL, as sipster.h
  // describes, and `said` is brought up to date.
  void visit_info(const pjsua_call_info &raw, bool changes_only, sipster_call_info_visitor visit,
                  void *ctx, const std::function<void(sipster_call_info &)> &adjust = nullptr);

  void onCallState(pj::OnCallStateParam &) override;
  void onCallMediaState(pj::OnCallMediaStateParam &) override;
  void onDtmfDigit(pj::OnDtmfDigitParam &prm) override;
  void onCallTransferRequest(pj::OnCallTransferRequestParam &prm) override;
  void onCallReplaceRequest(pj::OnCallReplaceRequestParam &prm) override;
  void onCallTransferStatus(pj::OnCallTransferStatusParam &prm) override;
  // A state of an INFO transaction in the call's dialog (see
  // install_call_handlers).
  void on_info_transaction(pjsip_transaction *tsx, pjsip_event *e);

  // INFO requests sent by sipster_call_send_info: tokens waiting for their
  // transaction, then by transaction until the final response.
  std::mutex info_mutex;
  std::deque<uint64_t> info_unsent;
  std::map<const void *, uint64_t> info_in_flight;
};

// Puts the shim's handlers of call and transaction states in pjsua's
// callback table, in place of pjsua2's (after libInit, before any call).
void install_call_handlers();

// pjsua's C info of call `id`; zeroed (state NULL) when pjsua has none.
pjsua_call_info raw_call_info(pjsua_call_id id, pj_status_t *status = nullptr);

}  // namespace sipster_shim

struct sipster_call {
  sipster_shim::ShimCall *call;
};

#endif  // SIPSTER_SHIM_CALL_H
