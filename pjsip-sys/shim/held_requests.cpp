// Requests held for the application's decision: a REFER in a call whose
// owner listens for transfer requests, and an INVITE with Replaces for a
// call whose account listens for replace requests.
//
// pjsua asks for both decisions inside a callback (onCallTransferRequest,
// onCallReplaceRequest), and no pjsip thread may wait for JS. So this
// module, just before the dialog layer, takes such a request out of pjsip's
// pipeline, keeps a clone of it and reports it. When the application
// decides, the clone re-enters the pipeline after this module on the
// deciding thread, and pjsua's callback finds the decision there (a
// thread-local): pjsua then answers, subscribes, NOTIFYs and places or
// answers the new call as it always does.
//
// Retransmissions of a held request are absorbed (an INVITE's get 100
// Trying again). A request still held when its call ends is declined (603).
#include "account.h"
#include "call.h"

// pjsua's own call of a dialog (dlg->mod_data), needs pjsua.h first.
#include <pjsua-lib/pjsua_internal.h>

namespace sipster_shim {
namespace {

struct HeldRequest {
  pjsip_rx_data *rdata;      // the clone
  std::string transaction;   // Call-ID, Via branch and method: retransmissions match it
  uint64_t call_key;         // the call it came in (REFER) or would replace (INVITE)
  pjsua_acc_id account;      // that call's account, the new call's too
  bool deciding;             // a decision has taken it: only the decider frees it
};

std::mutex g_held_mutex;
std::map<uint64_t, HeldRequest> g_held;  // by token
pjsip_module g_held_module;

// The decision being carried through pjsua on this thread.
thread_local HeldDecision *t_decision = nullptr;

const pj_str_t kReplaces = {const_cast<char *>("Replaces"), 8};

std::string transaction_of(const pjsip_rx_data *rdata) {
  const pj_str_t &id = rdata->msg_info.cid->id;
  const pj_str_t &branch = rdata->msg_info.via->branch_param;
  const pj_str_t &method = rdata->msg_info.msg->line.req.method.name;
  std::string key(id.ptr, static_cast<size_t>(id.slen));
  key.append(1, '\n').append(branch.ptr, static_cast<size_t>(branch.slen));
  key.append(1, '\n').append(method.ptr, static_cast<size_t>(method.slen));
  return key;
}

// What the holder needs of the call whose dialog has these tags.
struct DialogOwner {
  uint64_t call_key = 0;
  uint32_t call_interest = 0;
  pjsua_acc_id account = PJSUA_INVALID_ID;
  uint64_t account_key = 0;
  uint32_t account_interest = 0;
};

// The dialog's lock keeps pjsua from ending the call meanwhile, and the
// registry's lock keeps the owner from freeing the objects it reads: a
// call or account still in the registry is alive.
bool find_dialog_owner(const pj_str_t &call_id, const pj_str_t &local_tag,
                       const pj_str_t &remote_tag, DialogOwner *owner) {
  Library *lib = current_library();
  if (!lib) return false;
  pjsip_dialog *dlg = pjsip_ua_find_dialog(&call_id, &local_tag, &remote_tag, PJ_TRUE);
  if (!dlg) return false;
  bool found = false;
  auto *pcall = static_cast<pjsua_call *>(dlg->mod_data[pjsua_get_var()->mod.id]);
  if (pcall && pcall->inv && !pcall->hanging_up) {
    auto *call = static_cast<pj::Call *>(pjsua_call_get_user_data(pcall->index));
    auto *account = static_cast<pj::Account *>(pjsua_acc_get_user_data(pcall->acc_id));
    std::lock_guard<std::mutex> lock(lib->registry_mutex);
    auto held_call = lib->calls.find(static_cast<ShimCall *>(call));
    if (held_call != lib->calls.end()) {
      found = true;
      owner->call_key = (*held_call)->key;
      owner->call_interest = (*held_call)->interest.load();
      owner->account = pcall->acc_id;
      auto held_account = lib->accounts.find(static_cast<ShimAccount *>(account));
      if (held_account != lib->accounts.end()) {
        owner->account_key = (*held_account)->key;
        owner->account_interest = (*held_account)->interest.load();
      }
    }
  }
  pjsip_dlg_dec_lock(dlg);
  return found;
}

void respond(pjsip_rx_data *rdata, int code) {
  pjsip_endpt_respond_stateless(pjsua_get_pjsip_endpt(), rdata, code, nullptr, nullptr, nullptr);
}

pj_bool_t held_on_rx_request(pjsip_rx_data *rdata) {
  pjsip_msg *msg = rdata->msg_info.msg;
  if (!rdata->msg_info.to || !rdata->msg_info.from || !rdata->msg_info.cid ||
      !rdata->msg_info.via)
    return PJ_FALSE;
  bool in_dialog = rdata->msg_info.to->tag.slen > 0;
  bool refer = in_dialog && pjsip_method_cmp(&msg->line.req.method, pjsip_get_refer_method()) == 0;
  pjsip_replaces_hdr *replaces = nullptr;
  if (!refer) {
    if (in_dialog || msg->line.req.method.id != PJSIP_INVITE_METHOD) return PJ_FALSE;
    replaces =
        static_cast<pjsip_replaces_hdr *>(pjsip_msg_find_hdr_by_name(msg, &kReplaces, nullptr));
    if (!replaces) return PJ_FALSE;
  }
  std::string transaction = transaction_of(rdata);
  {
    std::lock_guard<std::mutex> lock(g_held_mutex);
    for (const auto &entry : g_held) {
      if (entry.second.transaction != transaction) continue;
      if (replaces) respond(rdata, PJSIP_SC_TRYING);
      return PJ_TRUE;  // a retransmission of a held request
    }
  }
  DialogOwner owner;
  if (refer) {
    if (!find_dialog_owner(rdata->msg_info.cid->id, rdata->msg_info.to->tag,
                           rdata->msg_info.from->tag, &owner) ||
        (owner.call_interest & SIPSTER_INTEREST_TRANSFER_REQUEST) == 0)
      return PJ_FALSE;
  } else {
    if (!find_dialog_owner(replaces->call_id, replaces->to_tag, replaces->from_tag, &owner) ||
        (owner.account_interest & SIPSTER_ACCOUNT_INTEREST_REPLACE_REQUEST) == 0)
      return PJ_FALSE;
  }
  pjsip_rx_data *clone = nullptr;
  if (pjsip_rx_data_clone(rdata, 0, &clone) != PJ_SUCCESS) return PJ_FALSE;
  uint64_t token = sipster_next_key();
  {
    std::lock_guard<std::mutex> lock(g_held_mutex);
    g_held.emplace(token, HeldRequest{clone, transaction, owner.call_key, owner.account, false});
  }
  if (replaces) respond(rdata, PJSIP_SC_TRYING);
  std::string whole(rdata->msg_info.msg_buf, static_cast<size_t>(rdata->msg_info.len));
  auto ev = make_event(refer ? SIPSTER_EVENT_TRANSFER_REQUEST : SIPSTER_EVENT_REPLACE_REQUEST,
                       refer ? owner.call_key : owner.account_key);
  ev.token = token;
  ev.call_key = owner.call_key;
  ev.text = whole.c_str();
  emit(ev);
  return PJ_TRUE;
}

}  // namespace

void register_held_requests_module() {
  // After the transaction layer (which absorbs retransmissions once a
  // request is released), before the dialog layer (which would hand it to
  // pjsua).
  register_module(g_held_module, "mod-sipster-held", PJSIP_MOD_PRIORITY_UA_PROXY_LAYER - 1,
                  &held_on_rx_request);
}

HeldDecision *held_decision_ready(uint64_t call_key) {
  HeldDecision *d = t_decision;
  if (!d || d->call_key != call_key) return nullptr;
  if (d->status_code < 300 && !d->new_call) {
    pj::Account *account = pj::Account::lookup(d->account);
    if (!account) return nullptr;
    d->new_call = new ShimCall(*account, d->new_call_key);
    if (Library *lib = current_library()) lib->track(lib->calls, d->new_call);
  }
  return d;
}

void decline_held_requests_of(uint64_t call_key) {
  std::vector<pjsip_rx_data *> declined;
  {
    std::lock_guard<std::mutex> lock(g_held_mutex);
    for (auto it = g_held.begin(); it != g_held.end();) {
      if (it->second.call_key == call_key && !it->second.deciding) {
        declined.push_back(it->second.rdata);
        it = g_held.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (pjsip_rx_data *rdata : declined) {
    respond(rdata, PJSIP_SC_DECLINE);
    pjsip_rx_data_free_cloned(rdata);
  }
}

void release_all_held_requests() {
  std::map<uint64_t, HeldRequest> all;
  {
    std::lock_guard<std::mutex> lock(g_held_mutex);
    all.swap(g_held);
  }
  for (auto &entry : all) pjsip_rx_data_free_cloned(entry.second.rdata);
}

}  // namespace sipster_shim

using namespace sipster_shim;

extern "C" {

int sipster_held_request_decide(uint64_t token, int status_code, uint64_t new_call_key,
                                sipster_call **new_call_out, sipster_error *err) {
  *new_call_out = nullptr;
  if (!library_ready(err)) return err->status;
  HeldRequest held;
  {
    std::lock_guard<std::mutex> lock(g_held_mutex);
    auto it = g_held.find(token);
    if (it == g_held.end() || it->second.deciding)
      return set_error(err, PJ_EINVALIDOP,
                       "the request has been answered already (or its call has ended)");
    it->second.deciding = true;
    held = it->second;
  }
  HeldDecision decision;
  decision.call_key = held.call_key;
  decision.status_code = status_code;
  decision.new_call_key = new_call_key;
  decision.account = held.account;
  int rc = guarded(err, "answer the request", [&] {
    pjsip_process_rdata_param param;
    pjsip_process_rdata_param_default(&param);
    param.start_mod = &g_held_module;
    param.idx_after_start = 1;
    t_decision = &decision;
    pj_status_t status =
        pjsip_endpt_process_rx_data(pjsua_get_pjsip_endpt(), held.rdata, &param, nullptr);
    t_decision = nullptr;
    if (status != PJ_SUCCESS) fail(status, "pjsip_endpt_process_rx_data");
  });
  t_decision = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_held_mutex);
    g_held.erase(token);
  }
  pjsip_rx_data_free_cloned(held.rdata);
  ShimCall *call = decision.new_call;
  if (call && call->getId() == PJSUA_INVALID_ID) {
    // pjsua could not place (or answer) the new call; the transferor has
    // been told by NOTIFY. Nothing of pjsua refers to this object.
    if (Library *lib = current_library()) lib->untrack(lib->calls, call);
    quietly([&] { delete call; });
    call = nullptr;
    if (rc == 0)
      rc = set_error(err, PJ_EUNKNOWN, "pjsua could not start the new call (see the log for why)");
  }
  if (call) {
    *new_call_out = new sipster_call{call};
  } else if (rc == 0 && status_code < 300) {
    // pjsua answered the request itself (the call was ending, or the
    // REFER had no Refer-To).
    rc = set_error(err, PJ_EINVALIDOP, "the request can no longer be accepted");
  }
  return rc;
}

}  // extern "C"
