// The native call: pjsua2's callbacks turned into events, and the C ABI
// of sipster_call (see sipster.h for the conventions).
#include <algorithm>

#include "call.h"

#include <pjsua-lib/pjsua_internal.h>

#include <cstring>
#include <memory>

using namespace pj;

namespace sipster_shim {

// pjsua2 keeps Call::id private, yet a Call object that outlives its dialog
// must forget that id: pjsua reuses it for the next call, and ~Call would
// otherwise clear that call's user data and hang it up. Explicit template
// instantiation is exempt from access checks, which lets us name the member.
namespace {

struct CallIdMember {
  typedef pjsua_call_id Call::*type;
  friend type call_id_member(CallIdMember);
};
template <typename Tag, typename Tag::type Member>
struct ExposeMember {
  friend typename Tag::type call_id_member(Tag) { return Member; }
};
template struct ExposeMember<CallIdMember, &Call::id>;

}  // namespace

void ShimCall::detach() { this->*call_id_member(CallIdMember()) = PJSUA_INVALID_ID; }

namespace {

std::string text(const pj_str_t &s) { return std::string(s.ptr, static_cast<size_t>(s.slen)); }
bool same_text(const std::string &a, const pj_str_t &b) {
  size_t len = b.slen > 0 ? static_cast<size_t>(b.slen) : 0;
  return a.size() == len && (len == 0 || a.compare(0, len, b.ptr, len) == 0);
}

// pjsua_call_dump() writes the call's lines (the last one says "Call
// time: ..."), then its media: without media, a dump is the head of one with.
std::string without_media(const std::string &dump) {
  size_t line = dump.find("Call time: ");
  size_t end = line == std::string::npos ? line : dump.find('\n', line);
  return end == std::string::npos ? dump : dump.substr(0, end + 1);
}

}  // namespace

pjsua_call_info raw_call_info(pjsua_call_id id, pj_status_t *status) {
  pjsua_call_info raw;
  pj_status_t st = pjsua_call_get_info(id, &raw);
  if (st != PJ_SUCCESS) std::memset(&raw, 0, sizeof raw);
  if (status) *status = st;
  return raw;
}

void ShimCall::visit_info(const pjsua_call_info &raw, bool changes_only,
                          sipster_call_info_visitor visit, void *ctx,
                          const std::function<void(sipster_call_info &)> &adjust) {
  std::string state_text = text(raw.state_text), last_reason = text(raw.last_status_text);
  // Compared in place: only what changed (or all, without changes_only) is copied.
  pj_str_t source = {const_cast<char *>(src_address.data()), static_cast<pj_ssize_t>(src_address.size())};
  const pj_str_t identity[6] = {raw.local_info,     raw.local_contact, raw.remote_info,
                                raw.remote_contact, raw.call_id,       source};
  std::string all[6];
  const char *said_now[6];
  for (int i = 0; i < 6; i++) {
    if (!changes_only) {
      all[i] = text(identity[i]);
      said_now[i] = all[i].c_str();
    } else if (same_text(said[i], identity[i])) {
      said_now[i] = nullptr;
    } else {
      said[i] = text(identity[i]);
      said_now[i] = said[i].c_str();
    }
  }
  sipster_call_info info;
  std::memset(&info, 0, sizeof info);
  info.state = raw.state;
  info.state_text = state_text.c_str();
  info.role = raw.role;
  info.last_status_code = raw.last_status;
  info.last_reason = last_reason.c_str();
  info.local_uri = said_now[0];
  info.local_contact = said_now[1];
  info.remote_uri = said_now[2];
  info.remote_contact = said_now[3];
  info.call_id = said_now[4];
  info.src_address = said_now[5];
  info.connect_duration = raw.connect_duration.sec + raw.connect_duration.msec / 1000.0;
  info.total_duration = raw.total_duration.sec + raw.total_duration.msec / 1000.0;
  for (unsigned i = 0; i < raw.media_cnt && i < PJ_ARRAY_SIZE(raw.media); i++) {
    if (raw.media[i].type == PJMEDIA_TYPE_AUDIO && (raw.media[i].status == PJSUA_CALL_MEDIA_ACTIVE ||
                                                    raw.media[i].status == PJSUA_CALL_MEDIA_REMOTE_HOLD))
      info.has_media = 1;
  }
  info.is_active = raw.state != PJSIP_INV_STATE_DISCONNECTED && raw.state != PJSIP_INV_STATE_NULL;
  if (adjust) adjust(info);
  visit(ctx, &info);
}

void ShimCall::onCallState(OnCallStateParam &) {
  quietly([&] {
    pjsua_call_info raw = raw_call_info(getId());
    bool disconnected = raw.state == PJSIP_INV_STATE_DISCONNECTED;
    // A state nobody listens to is not copied or sent. The end of the call
    // always goes out.
    if (!disconnected && (interest.load() & SIPSTER_INTEREST_STATE(raw.state)) == 0) return;
    std::string reason;
    bool timed_out = false;
    if (disconnected) {
      quietly([&] { final_stats = dump(true, ""); });
      {
        std::lock_guard<std::mutex> lock(hangup_mutex);
        reason = hangup_reason;
      }
      finished.store(true);
      if (Library *lib = current_library()) lib->untrack(lib->calls, this);
      decline_held_requests_of(key);
      note_media_released();
      timed_out = take_timed_out(text(raw.call_id));
      if (timed_out) reason = "Media Timeout";
    }
    struct Ctx {
      uint64_t key;
    } ctx{key};
    // The event is the last thing done here: once it is out, the owning
    // thread may destroy this object.
    visit_info(
        raw, true,
        [](void *raw_ctx, const sipster_call_info *info) {
          auto ev = make_event(SIPSTER_EVENT_CALL_STATE, static_cast<Ctx *>(raw_ctx)->key);
          ev.call_info = info;
          emit(ev);
        },
        &ctx, [&](sipster_call_info &info) {
          if (timed_out) info.last_status_code = PJSIP_SC_REQUEST_TIMEOUT;
          if (!reason.empty()) info.last_reason = reason.c_str();
        });
  });
}

// pjsua's C structs, not pjsua2's CallInfo and StreamInfo: those copy every
// string and codec parameter of the call, at each media change.
void ShimCall::onCallMediaState(OnCallMediaStateParam &) {
  quietly([&] {
    if (finished.load()) return;
    pjsua_call_info ci;
    if (pjsua_call_get_info(getId(), &ci) != PJ_SUCCESS) return;
    std::vector<sipster_stream_info> streams;
    std::vector<std::string> addrs;  // owns the address strings
    addrs.reserve(ci.media_cnt * 2);
    for (unsigned i = 0; i < ci.media_cnt; ++i) {
      const auto &media = ci.media[i];
      if (media.type != PJMEDIA_TYPE_AUDIO) continue;
      sipster_stream_info stream;
      std::memset(&stream, 0, sizeof stream);
      stream.index = media.index;
      stream.dir = media.dir;
      stream.status = media.status;
      stream.conf_slot = media.stream.aud.conf_slot;
      char rtp[PJ_INET6_ADDRSTRLEN + 10] = "", rtcp[PJ_INET6_ADDRSTRLEN + 10] = "";
      pjsua_stream_info si;
      if (pjsua_call_get_stream_info(getId(), media.index, &si) == PJ_SUCCESS &&
          si.type == PJMEDIA_TYPE_AUDIO) {
        pj_sockaddr_print(&si.info.aud.rem_addr, rtp, sizeof rtp, 3);
        pj_sockaddr_print(&si.info.aud.rem_rtcp, rtcp, sizeof rtcp, 3);
        stream.dir = si.info.aud.dir;
      }
      addrs.push_back(rtp);
      addrs.push_back(rtcp);
      streams.push_back(stream);
    }
    for (size_t i = 0; i < streams.size(); ++i) {
      streams[i].rtp_addr = addrs[2 * i].c_str();
      streams[i].rtcp_addr = addrs[2 * i + 1].c_str();
    }
    auto ev = make_event(SIPSTER_EVENT_CALL_MEDIA, key);
    ev.streams = streams.data();
    ev.stream_count = streams.size();
    emit(ev);
  });
}

// INFO in the dialog. One that pjsua did not answer itself (it answers
// dtmf-relay and media_control+xml) is answered 200 here, instead of the
// dialog layer's 500, and sent on if JS listens. The final response to one
// of ours goes out with the token its send was given.
void ShimCall::on_info_transaction(pjsip_transaction *tsx, pjsip_event *e) {
  quietly([&] {
    if (!e || e->type != PJSIP_EVENT_TSX_STATE) return;
    if (tsx->role == PJSIP_ROLE_UAS) {
      if (e->body.tsx_state.type != PJSIP_EVENT_RX_MSG || tsx->status_code >= 200) return;
      pjsip_rx_data *rdata = e->body.tsx_state.src.rdata;
      pjsip_tx_data *tdata = nullptr;
      if (pjsip_endpt_create_response(tsx->endpt, rdata, PJSIP_SC_OK, nullptr, &tdata) ==
          PJ_SUCCESS)
        pjsip_tsx_send_msg(tsx, tdata);
      if ((interest.load() & SIPSTER_INTEREST_INFO) == 0) return;
      std::string whole(rdata->msg_info.msg_buf, static_cast<size_t>(rdata->msg_info.len));
      auto ev = make_event(SIPSTER_EVENT_INFO, key);
      ev.text = whole.c_str();
      emit(ev);
      return;
    }
    uint64_t token = 0;
    {
      std::lock_guard<std::mutex> lock(info_mutex);
      auto it = info_in_flight.find(tsx);
      if (it == info_in_flight.end()) {
        // Its first state: the request of the oldest send still waiting.
        if (info_unsent.empty() || tsx->status_code >= 200) return;
        it = info_in_flight.emplace(tsx, info_unsent.front()).first;
        info_unsent.pop_front();
      }
      if (tsx->status_code < 200) return;
      token = it->second;
      info_in_flight.erase(it);
    }
    std::string reason(tsx->status_text.ptr, static_cast<size_t>(tsx->status_text.slen));
    auto ev = make_event(SIPSTER_EVENT_INFO_STATUS, key);
    ev.token = token;
    ev.code = tsx->status_code;
    ev.text = reason.c_str();
    emit(ev);
  });
}

// pjsua2's handlers of pjsua's callbacks turn what pjsip reports into C++
// objects before calling the Call or the Endpoint: every call state and
// every transaction state becomes a SipEvent (the message's text, its
// addresses, a copy of the transaction), every SDP made is printed. The
// shim reads none of it: onCallState reads pjsua's call info, and only INFO
// transactions matter. Its own handlers go in pjsua's table instead, and
// the handlers of what it does not override go (pjsua checks for NULL).
namespace {

void on_call_state(pjsua_call_id call_id, pjsip_event *e) {
  quietly([&] {
    Call *call = Call::lookup(call_id);
    if (!call) return;
    OnCallStateParam prm;
    prm.e.pjEvent = e;
    // pjsua2's bookkeeping (the call's AudioMedia, its user data), then
    // onCallState.
    call->processStateChange(prm);
  });
}

void on_call_tsx_state(pjsua_call_id call_id, pjsip_transaction *tsx, pjsip_event *e) {
  if (!tsx || pjsip_method_cmp(&tsx->method, &pjsip_info_method) != 0) return;
  quietly([&] {
    if (auto *call = dynamic_cast<ShimCall *>(Call::lookup(call_id)))
      call->on_info_transaction(tsx, e);
  });
}

}  // namespace

void install_call_handlers() {
  pjsua_callback &cb = pjsua_get_var()->ua_cfg.cb;
  cb.on_call_state = &on_call_state;
  cb.on_call_tsx_state = &on_call_tsx_state;
  // Each would copy (SDPs printed, the request's text, stream parameters)
  // for an Endpoint or Call method that the shim leaves as pjsua2's no-op.
  cb.on_call_sdp_created = nullptr;
  cb.on_stream_precreate = nullptr;
  cb.on_call_media_transport_state = nullptr;
  cb.on_acc_find_for_incoming = nullptr;
}

void ShimCall::onDtmfDigit(OnDtmfDigitParam &prm) {
  if ((interest.load() & SIPSTER_INTEREST_DTMF) == 0) return;
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_DTMF, key);
    ev.text = prm.digit.c_str();
    emit(ev);
  });
}

// A REFER asks us to place a new call (transfer), an INVITE with Replaces
// to let a new dialog take this one over. Either is decided by the
// application only: held_requests.cpp holds it while JS decides, then
// carries the decision here. Without one (nobody listens) it is declined.
// An accepted request always gets a new Call object: without one pjsua2
// would carry the new dialog in THIS object, under this call's key.
void ShimCall::onCallTransferRequest(OnCallTransferRequestParam &prm) {
  prm.statusCode = PJSIP_SC_DECLINE;
  quietly([&] {
    HeldDecision *decision = held_decision_ready(key);
    if (!decision) return;
    prm.statusCode = static_cast<pjsip_status_code>(decision->status_code);
    prm.newCall = decision->new_call;
  });
}

void ShimCall::onCallReplaceRequest(OnCallReplaceRequestParam &prm) {
  prm.statusCode = PJSIP_SC_DECLINE;
  prm.reason = "Decline";
  quietly([&] {
    HeldDecision *decision = held_decision_ready(key);
    if (!decision) return;
    prm.statusCode = static_cast<pjsip_status_code>(decision->status_code);
    const pj_str_t *text = pjsip_get_status_text(decision->status_code);
    prm.reason = std::string(text->ptr, static_cast<size_t>(text->slen));
    prm.newCall = decision->new_call;
  });
}

void ShimCall::onCallTransferStatus(OnCallTransferStatusParam &prm) {
  if ((interest.load() & SIPSTER_INTEREST_TRANSFER_STATUS) == 0) return;
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_TRANSFER_STATUS, key);
    ev.code = prm.statusCode;
    ev.flag = prm.finalNotify ? 1 : 0;
    ev.text = prm.reason.c_str();
    emit(ev);
  });
}

}  // namespace sipster_shim

using namespace sipster_shim;

extern "C" {

namespace {
bool call_alive(const sipster_call *c, sipster_error *err, const char *op) {
  if (!library_ready(err)) return false;
  if (c->call->finished.load()) {
    set_error(err, PJSIP_ESESSIONTERMINATED, std::string(op) + ": the call has ended");
    return false;
  }
  return true;
}
}  // namespace

void sipster_call_set_interest(sipster_call *c, uint32_t mask) { c->call->interest.store(mask); }

int sipster_call_is_finished(const sipster_call *c) { return c->call->finished.load() ? 1 : 0; }

int sipster_call_get_info(const sipster_call *c, sipster_call_info_visitor visit, void *ctx,
                          sipster_error *err) {
  if (!call_alive(c, err, "Call.getInfo")) return err->status;
  return guarded(err, "Call.getInfo", [&] {
    pj_status_t status;
    pjsua_call_info raw = raw_call_info(c->call->getId(), &status);
    if (status != PJ_SUCCESS) throw Error(status, "pjsua_call_get_info()", "", __FILE__, __LINE__);
    c->call->visit_info(raw, false, visit, ctx);
  });
}

int sipster_call_answer(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.answer")) return err->status;
  return guarded(err, "Call.answer", [&] {
    pjsua_call_info raw;
    if (pjsua_call_get_info(c->call->getId(), &raw) == PJ_SUCCESS) {
      if (raw.role == PJSIP_ROLE_UAC) fail(PJ_EINVALIDOP, "only an incoming call can be answered");
      if (raw.state >= PJSIP_INV_STATE_CONNECTING)
        fail(PJ_EINVALIDOP, "the call is already answered (a final response was sent)");
    }
    CallOpParam prm(true);
    prm.statusCode = PJSIP_SC_OK;
    apply_call_op(prm, op);
    with_answer_headers(c->call->answer_headers, prm, [&] { c->call->answer(prm); });
  });
}

int sipster_call_hangup(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.hangup")) return err->status;
  return guarded(err, "Call.hangup", [&] {
    // Without a code pjsua picks one: BYE for a confirmed call, 603 for a
    // ringing incoming one, CANCEL (487) for an outgoing one.
    CallOpParam prm;
    apply_call_op(prm, op);
    if (op && op->reason) {
      std::lock_guard<std::mutex> lock(c->call->hangup_mutex);
      c->call->hangup_reason = op->reason;
    }
    with_answer_headers(c->call->answer_headers, prm, [&] { c->call->hangup(prm); });
  });
}

int sipster_call_hold(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.hold")) return err->status;
  return guarded(err, "Call.hold", [&] {
    CallOpParam prm;
    apply_call_op(prm, op);
    c->call->setHold(prm);
  });
}

int sipster_call_reinvite(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.reinvite")) return err->status;
  return guarded(err, "Call.reinvite", [&] {
    CallOpParam prm(true);
    prm.opt.flag |= PJSUA_CALL_UNHOLD;
    apply_call_op(prm, op);
    c->call->reinvite(prm);
  });
}

int sipster_call_update(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.update")) return err->status;
  return guarded(err, "Call.update", [&] {
    CallOpParam prm(true);
    apply_call_op(prm, op);
    c->call->update(prm);
  });
}

int sipster_call_transfer(sipster_call *c, const char *dest_uri, const sipster_call_op *op,
                          sipster_error *err) {
  if (!call_alive(c, err, "Call.transfer")) return err->status;
  return guarded(err, "Call.transfer", [&] {
    // pjsua copies the destination into Refer-To unchecked (makeCall's
    // destination it does parse): refuse what is not a URI here.
    std::string dest = nonnull(dest_uri);
    pj_pool_t *pool = pjsua_pool_create("sipster-refer-to", 512, 512);
    if (!pool) fail(PJ_ENOMEM, "out of memory");
    std::string scratch = dest;  // the parser wants a writable, NUL-ended buffer
    pjsip_uri *uri =
        pjsip_parse_uri(pool, &scratch[0], scratch.size(), PJSIP_PARSE_URI_AS_NAMEADDR);
    pj_pool_release(pool);
    if (!uri) fail(PJSIP_EINVALIDURI, "'" + dest + "' is not a valid URI");
    CallOpParam prm;
    apply_call_op(prm, op);
    c->call->xfer(dest, prm);
  });
}

int sipster_call_transfer_replaces(sipster_call *c, const sipster_call *other,
                                   const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.transfer")) return err->status;
  if (other->call->finished.load())
    return set_error(err, PJ_EINVALIDOP, "Call.transfer: the call to be replaced has ended");
  return guarded(err, "Call.transfer", [&] {
    if (other->call == c->call) fail(PJ_EINVAL, "a call cannot replace itself");
    CallOpParam prm;
    apply_call_op(prm, op);
    // REFER whose Refer-To carries Replaces with the other dialog's Call-ID and tags.
    c->call->xferReplaces(*other->call, prm);
  });
}

int sipster_call_dial_dtmf(sipster_call *c, const char *digits, int method_info,
                           uint32_t duration_ms, sipster_error *err) {
  if (!call_alive(c, err, "Call.dtmf")) return err->status;
  return guarded(err, "Call.dtmf", [&] {
    CallSendDtmfParam prm;
    prm.digits = nonnull(digits);
    if (duration_ms) prm.duration = duration_ms;
    if (method_info) {
      prm.method = PJSUA_DTMF_METHOD_SIP_INFO;
    } else if (!pjsua_call_has_media(c->call->getId())) {
      fail(PJ_EINVALIDOP,
           "the call has no active audio yet: send digits after its 'media' event, or with "
           "{ method: 'info' }");
    }
    c->call->sendDtmf(prm);
  });
}

int sipster_call_stats_dump(const sipster_call *c, int with_media, const char *indent, char **out,
                            sipster_error *err) {
  *out = nullptr;
  if (!call_alive(c, err, "Call.getStatsDump")) return err->status;
  return guarded(err, "Call.getStatsDump", [&] {
    std::string dump = c->call->dump(with_media != 0, nonnull(indent));
    *out = dup_string(dump);
  });
}

int sipster_call_send_info(sipster_call *c, const char *content_type, const char *body,
                           const sipster_header *headers, size_t header_count, uint64_t token,
                           sipster_error *err) {
  if (!call_alive(c, err, "Call.sendInfo")) return err->status;
  return guarded(err, "Call.sendInfo", [&] {
    CallSendRequestParam prm;
    prm.method = "INFO";
    prm.txOption.contentType = nonnull(content_type);
    prm.txOption.msgBody = nonnull(body);
    add_headers(prm.txOption, headers, header_count);
    ShimCall *call = c->call;
    {
      std::lock_guard<std::mutex> lock(call->info_mutex);
      call->info_unsent.push_back(token);
    }
    try {
      // pjsip reports the new transaction's first state inside this call.
      call->sendRequest(prm);
    } catch (...) {
      std::lock_guard<std::mutex> lock(call->info_mutex);
      auto it = std::find(call->info_unsent.begin(), call->info_unsent.end(), token);
      if (it != call->info_unsent.end()) call->info_unsent.erase(it);
      throw;
    }
  });
}

char *sipster_call_final_stats(const sipster_call *c, int with_media) {
  if (!c->call->finished.load()) return nullptr;
  const std::string &dump = c->call->final_stats;
  return dup_string(with_media ? dump : without_media(dump));
}

int sipster_call_conf_slot(const sipster_call *c, uint32_t media_index, int32_t *slot_out,
                           sipster_error *err) {
  *slot_out = PJSUA_INVALID_ID;
  if (!call_alive(c, err, "Media")) return err->status;
  return guarded(err, "Media", [&] {
    AudioMedia media = c->call->getAudioMedia(static_cast<int>(media_index));
    *slot_out = media.getPortId();
  });
}

void sipster_call_destroy(sipster_call *c) {
  if (!c) return;
  ShimCall *call = c->call;
  delete c;
  if (!call) return;
  Library *lib = current_library();
  if (lib) ensure_thread_registered();
  if (call->finished.load()) {
    call->detach();
  } else if (lib) {
    // Only reached when the owner gives up a live call (shutdown paths):
    // pjsua2's destructor hangs it up.
    lib->untrack(lib->calls, call);
  }
  quietly([&] { delete call; });
}

}  // extern "C"
