// The native account: registration and incoming calls as events, and the
// C ABI of sipster_account (see sipster.h for the conventions).
#include "account.h"

#include <memory>

#include "call.h"

using namespace pj;

namespace sipster_shim {

void ShimAccount::onRegStarted(OnRegStartedParam &prm) {
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_REG_STARTED, key);
    ev.flag = prm.renew ? 1 : 0;
    emit(ev);
  });
}

void ShimAccount::onRegState(OnRegStateParam &prm) {
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_REG_STATE, key);
    ev.code = prm.code;
    ev.expires = static_cast<int32_t>(prm.expiration);
    quietly([&] { ev.flag = getInfo().regIsActive ? 1 : 0; });
    ev.text = prm.reason.c_str();
    emit(ev);
  });
}

void ShimAccount::onIncomingCall(OnIncomingCallParam &prm) {
  quietly([&] {
    uint64_t call_key = sipster_next_key();
    auto *call = new ShimCall(*this, call_key, prm.callId);
    call->src_address = prm.rdata.srcAddress;
    if (Library *lib = current_library()) lib->track(lib->calls, call);
    pjsua_call_info raw = raw_call_info(prm.callId);
    auto *handle = new sipster_call{call};
    struct Ctx {
      uint64_t account_key, call_key;
      sipster_call *handle;
      const char *whole_msg;
    } ctx{key, call_key, handle, prm.rdata.wholeMsg.c_str()};
    call->visit_info(
        raw, true,
        [](void *raw_ctx, const sipster_call_info *info) {
          auto *c = static_cast<Ctx *>(raw_ctx);
          auto ev = make_event(SIPSTER_EVENT_INCOMING_CALL, c->account_key);
          ev.text = c->whole_msg;
          ev.call = c->handle;
          ev.call_key = c->call_key;
          ev.call_info = info;
          emit(ev);
        },
        &ctx);
  });
}

// An out-of-dialog MESSAGE for this account; pjsua has answered it 200.
// Copied and sent only while the owner listens.
void ShimAccount::onInstantMessage(OnInstantMessageParam &prm) {
  if ((interest.load() & SIPSTER_ACCOUNT_INTEREST_MESSAGE) == 0) return;
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_MESSAGE, key);
    ev.text = prm.rdata.wholeMsg.c_str();
    emit(ev);
  });
}

// The final response to a MESSAGE of sipster_account_send_message (or
// pjsip's own 408 when none came).
void ShimAccount::onInstantMessageStatus(OnInstantMessageStatusParam &prm) {
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_MESSAGE_STATUS, key);
    ev.token = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(prm.userData));
    ev.code = prm.code;
    ev.text = prm.reason.c_str();
    emit(ev);
  });
}

}  // namespace sipster_shim

using namespace sipster_shim;

extern "C" {

int sipster_account_create(const char *config_json, int make_default, uint64_t key,
                           sipster_account **out, sipster_error *err) {
  *out = nullptr;
  if (!library_ready(err)) return err->status;
  return guarded(err, "new Account", [&] {
    // pjsua_acc_add() asserts that transport slot 0 (the first transport
    // created) is open; in a default build that assertion aborts the
    // process. Refuse with an error instead.
    pjsua_transport_id first = PJSUA_INVALID_ID;
    unsigned count = 1;
    if (pjsua_enum_transports(&first, &count) != PJ_SUCCESS || count == 0 || first != 0)
      fail(PJ_EINVALIDOP,
           "no SIP transport: create a Transport first (pjsua also needs the first "
           "Transport created to stay open while accounts are added)");
    AccountConfig config;
    {
      JsonDocument doc;
      doc.loadString(nonnull(config_json));
      doc.readObject(config);
    }
    // ICE and TURN sockets live in pjsip's ioqueue, out of libuv's sight.
    if (config.natConfig.iceEnabled || config.natConfig.turnEnabled) loop_signalling_need_worker();
    std::unique_ptr<ShimAccount> account(new ShimAccount(key));
    account->create(config, make_default != 0);
    *out = new sipster_account{account.release()};
    current_library()->track(current_library()->accounts, (*out)->account);
  });
}

namespace {
bool account_alive(const sipster_account *a, sipster_error *err, const char *op) {
  if (!library_ready(err)) return false;
  if (!a->account || !a->account->isValid()) {
    set_error(err, PJ_EINVALIDOP, std::string(op) + ": the account has been deleted");
    return false;
  }
  return true;
}
}  // namespace

int sipster_account_modify(sipster_account *a, const char *config_json, sipster_error *err) {
  if (!account_alive(a, err, "Account.modify")) return err->status;
  return guarded(err, "Account.modify", [&] {
    AccountConfig config;
    JsonDocument doc;
    doc.loadString(nonnull(config_json));
    doc.readObject(config);
    a->account->modify(config);
  });
}

int sipster_account_get_info(const sipster_account *a, sipster_account_info_visitor visit,
                             void *ctx, sipster_error *err) {
  if (!account_alive(a, err, "Account.getInfo")) return err->status;
  return guarded(err, "Account.getInfo", [&] {
    AccountInfo ai = a->account->getInfo();
    sipster_account_info info;
    info.id = ai.id;
    info.is_default = ai.isDefault ? 1 : 0;
    info.uri = ai.uri.c_str();
    info.reg_is_configured = ai.regIsConfigured ? 1 : 0;
    info.reg_is_active = ai.regIsActive ? 1 : 0;
    info.reg_expires_sec = ai.regExpiresSec;
    info.reg_status = ai.regStatus;
    info.reg_status_text = ai.regStatusText.c_str();
    info.online_status = ai.onlineStatus ? 1 : 0;
    visit(ctx, &info);
  });
}

int sipster_account_set_registration(sipster_account *a, int renew, sipster_error *err) {
  if (!account_alive(a, err, "Account.setRegistration")) return err->status;
  return guarded(err, "Account.setRegistration", [&] { a->account->setRegistration(renew != 0); });
}

int sipster_account_set_transport(sipster_account *a, const sipster_transport *t,
                                  sipster_error *err) {
  if (!account_alive(a, err, "Account.setTransport")) return err->status;
  return guarded(err, "Account.setTransport", [&] { a->account->setTransport(t->id); });
}

int sipster_account_set_default(sipster_account *a, sipster_error *err) {
  if (!account_alive(a, err, "Account.default")) return err->status;
  return guarded(err, "Account.default", [&] { a->account->setDefault(); });
}

void sipster_account_set_interest(sipster_account *a, uint32_t mask) {
  if (a->account) a->account->interest.store(mask);
}

int sipster_account_is_default(const sipster_account *a) {
  if (!current_library() || !a->account) return 0;
  ensure_thread_registered();
  bool result = false;
  quietly([&] { result = a->account->isValid() && a->account->isDefault(); });
  return result ? 1 : 0;
}

int sipster_account_is_valid(const sipster_account *a) {
  if (!current_library() || !a->account) return 0;
  ensure_thread_registered();
  return a->account->isValid() ? 1 : 0;
}

int sipster_account_make_call(sipster_account *a, const char *dest_uri, const sipster_call_op *op,
                              uint64_t call_key, sipster_call **out, sipster_error *err) {
  *out = nullptr;
  if (!account_alive(a, err, "Account.makeCall")) return err->status;
  return guarded(err, "Account.makeCall", [&] {
    if (!media_headroom())
      fail(PJ_ETOOMANY,
           "no media socket free: calls are turning over faster than the ioqueue "
           "recycles sockets (PJ_IOQUEUE_MAX_HANDLES)");
    std::unique_ptr<ShimCall> call(new ShimCall(*a->account, call_key));
    CallOpParam prm(true);
    apply_call_op(prm, op);
    // Tracked first: makeCall may already report state changes.
    Library *lib = current_library();
    lib->track(lib->calls, call.get());
    try {
      call->makeCall(nonnull(dest_uri), prm);
    } catch (...) {
      lib->untrack(lib->calls, call.get());
      call->detach();
      throw;
    }
    *out = new sipster_call{call.release()};
  });
}

void sipster_account_destroy(sipster_account *a) {
  if (!a) return;
  Library *lib = current_library();
  if (a->account && lib && lib->untrack(lib->accounts, a->account)) {
    ensure_thread_registered();
    // Unregister while the object is whole: pjsua reports it synchronously.
    quietly([&] { a->account->shutdown(); });
    quietly([&] { delete a->account; });
  } else if (a->account && !lib) {
    // Shut down with the library already: the pjsua2 object holds nothing.
    quietly([&] { delete a->account; });
  }
  delete a;
}

int sipster_account_send_message(sipster_account *a, const char *to, const char *content_type,
                                 const char *body, const sipster_header *headers,
                                 size_t header_count, uint64_t token, sipster_error *err) {
  if (!account_alive(a, err, "Account.sendMessage")) return err->status;
  return guarded(err, "Account.sendMessage", [&] {
    SipTxOption option;
    add_headers(option, headers, header_count);
    pjsua_msg_data msg_data;
    pjsua_msg_data_init(&msg_data);
    option.toPj(msg_data);  // points into `option`, which outlives the send
    std::string target = nonnull(to), type = nonnull(content_type), text = nonnull(body);
    pj_str_t target_str = pj_str(&target[0]), type_str = pj_str(&type[0]);
    pj_str_t text_str;
    text_str.ptr = &text[0];
    text_str.slen = static_cast<pj_ssize_t>(text.size());
    pj_status_t status =
        pjsua_im_send(a->account->getId(), &target_str, &type_str, &text_str, &msg_data,
                      reinterpret_cast<void *>(static_cast<uintptr_t>(token)));
    if (status == PJSIP_EINVALIDURI || status == PJSIP_EINVALIDREQURI)
      fail(status, "'" + target + "' is not a valid SIP URI");
    if (status != PJ_SUCCESS) fail(status, "pjsua_im_send");
  });
}

}  // extern "C"
