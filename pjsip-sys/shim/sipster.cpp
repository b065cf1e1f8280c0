// C++ body of the sipster shim: see sipster.h for the conventions.
#include "sipster.h"
#include "internal.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <pjsua2.hpp>
#include <set>
#include <string>
#include <vector>

using namespace pj;
using namespace sipster_shim;

namespace {

char *dup_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

int64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// ---- library-wide state ----------------------------------------------------

struct Library;
Library *g_lib = nullptr;
std::mutex g_lib_mutex;  // guards g_lib creation/destruction only

sipster_event_sink g_sink = nullptr;
void *g_sink_ctx = nullptr;

void emit(sipster_event &ev) {
  ev.timestamp_ns = monotonic_ns();
  if (g_sink) g_sink(g_sink_ctx, &ev);
}

sipster_event make_event(sipster_event_kind kind, uint64_t source) {
  sipster_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.kind = kind;
  ev.source = source;
  return ev;
}

class SinkLogWriter : public LogWriter {
 public:
  void write(const LogEntry &entry) override {
    quietly([&] {
      auto ev = make_event(SIPSTER_EVENT_LOG, 0);
      ev.code = entry.level;
      ev.text = entry.msg.c_str();
      emit(ev);
    });
  }
};

class ShimCall;
class ShimAccount;

// pjsua2 keeps Call::id private, yet a Call object that outlives its dialog
// must forget that id: pjsua reuses it for the next call, and ~Call would
// otherwise clear that call's user data and hang it up. Explicit template
// instantiation is exempt from access checks, which lets us name the member.
struct CallIdMember {
  typedef pjsua_call_id Call::*type;
  friend type call_id_member(CallIdMember);
};
template <typename Tag, typename Tag::type Member>
struct ExposeMember {
  friend typename Tag::type call_id_member(Tag) { return Member; }
};
template struct ExposeMember<CallIdMember, &Call::id>;

// Everything that must be released before libDestroy is tracked here; the
// registry's mutex is never held while calling into pjsua2.
struct Library {
  Endpoint endpoint;
  std::string config_json;
  unsigned clock_rate = 16000, channel_count = 1, frame_ptime = 20;
  std::mutex registry_mutex;
  std::set<ShimCall *> calls;
  std::set<ShimAccount *> accounts;
  std::set<sipster_player *> players;
  std::set<sipster_transport *> transports;

  template <typename T>
  void track(std::set<T *> &set, T *item) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    set.insert(item);
  }
  template <typename T>
  bool untrack(std::set<T *> &set, T *item) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    return set.erase(item) > 0;
  }
  template <typename T>
  std::vector<T *> take_all(std::set<T *> &set) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    std::vector<T *> out(set.begin(), set.end());
    set.clear();
    return out;
  }
};

const char *nonnull(const char *s) { return s ? s : ""; }

void apply_call_op(CallOpParam &prm, const sipster_call_op *op) {
  if (!op) return;
  if (op->status_code) prm.statusCode = static_cast<pjsip_status_code>(op->status_code);
  if (op->reason) prm.reason = op->reason;
  for (size_t i = 0; i < op->header_count; ++i) {
    SipHeader header;
    header.hName = nonnull(op->headers[i].name);
    header.hValue = nonnull(op->headers[i].value);
    prm.txOption.headers.push_back(header);
  }
}

// ---- request hygiene ----------------------------------------------------------
//
// pjsip accepts some malformed requests that RFC 3261 says to refuse, and
// one kind it cannot survive: a request whose CSeq method differs from its
// method but whose branch matches a confirmed INVITE transaction trips an
// assertion in the transaction layer (a remote abort with four datagrams).
// This module runs before the transaction layer and answers 400 to:
// - a CSeq method that is not the request's method,
// - a second Call-ID, CSeq, From, To, Max-Forwards, Content-Length or
//   Content-Type header,
// - over a datagram transport, a Content-Length larger than the body.
// ACKs are dropped instead, as nothing may answer them.

const char *malformed_reason(pjsip_rx_data *rdata) {
  pjsip_msg *msg = rdata->msg_info.msg;
  if (rdata->msg_info.cseq &&
      pjsip_method_cmp(&rdata->msg_info.cseq->method, &msg->line.req.method))
    return "CSeq method does not match the request method";
  static const pjsip_hdr_e single[] = {
      PJSIP_H_CALL_ID,      PJSIP_H_CSEQ,           PJSIP_H_FROM,        PJSIP_H_TO,
      PJSIP_H_MAX_FORWARDS, PJSIP_H_CONTENT_LENGTH, PJSIP_H_CONTENT_TYPE};
  for (pjsip_hdr_e type : single) {
    auto *first = static_cast<const pjsip_hdr *>(pjsip_msg_find_hdr(msg, type, nullptr));
    if (first && pjsip_msg_find_hdr(msg, type, first->next)) return "Duplicate single-value header";
  }
  bool datagram = (rdata->tp_info.transport->flag & PJSIP_TRANSPORT_DATAGRAM) != 0;
  if (datagram && rdata->msg_info.clen) {
    long declared = rdata->msg_info.clen->len;
    long present = msg->body ? static_cast<long>(msg->body->len) : 0;
    if (declared < 0 || declared > present) return "Content-Length larger than the message body";
  }
  return nullptr;
}

pj_bool_t hygiene_on_rx_request(pjsip_rx_data *rdata) {
  const char *reason = malformed_reason(rdata);
  if (!reason) return PJ_FALSE;
  if (rdata->msg_info.msg->line.req.method.id != PJSIP_ACK_METHOD) {
    pj_str_t text = pj_str(const_cast<char *>(reason));
    pjsip_endpt_respond_stateless(pjsua_get_pjsip_endpt(), rdata, PJSIP_SC_BAD_REQUEST, &text,
                                  nullptr, nullptr);
  }
  return PJ_TRUE;
}

// pjsua leaves requests it has no use for unanswered (REGISTER, unknown
// methods, stray in-dialog requests); RFC 3261 wants an answer. This module
// comes after every other one, so it only sees what nobody handled.
pj_bool_t fallback_on_rx_request(pjsip_rx_data *rdata) {
  pjsip_msg *msg = rdata->msg_info.msg;
  if (msg->line.req.method.id == PJSIP_ACK_METHOD) return PJ_FALSE;
  pjsip_endpoint *endpt = pjsua_get_pjsip_endpt();
  if (rdata->msg_info.to && rdata->msg_info.to->tag.slen) {
    pjsip_endpt_respond_stateless(endpt, rdata, PJSIP_SC_CALL_TSX_DOES_NOT_EXIST, nullptr, nullptr,
                                  nullptr);
    return PJ_TRUE;
  }
  bool known = msg->line.req.method.id != PJSIP_OTHER_METHOD;
  pjsip_hdr headers;
  pj_list_init(&headers);
  const pjsip_hdr *allow = pjsip_endpt_get_capability(endpt, PJSIP_H_ALLOW, nullptr);
  if (allow) pj_list_push_back(&headers, pjsip_hdr_clone(rdata->tp_info.pool, allow));
  pjsip_endpt_respond_stateless(endpt, rdata,
                                known ? PJSIP_SC_METHOD_NOT_ALLOWED : PJSIP_SC_NOT_IMPLEMENTED,
                                nullptr, &headers, nullptr);
  return PJ_TRUE;
}

// ---- admission guard ------------------------------------------------------
//
// Every call holds an RTP and an RTCP socket in the media ioqueue, and a
// closed socket's slot comes back only PJ_IOQUEUE_KEY_FREE_DELAY ms later.
// When calls turn over faster than the ioqueue recycles (about 60 calls/s
// with the stock 64 handles), pjlib asserts in pj_ioqueue_register_sock2.
// So a new INVITE is answered 503 before pjsua allocates any media when the
// sockets of the calls up now, of those closed within the delay, and of
// the new one would not fit.

constexpr unsigned kSocketsPerCall = 2;
constexpr unsigned kReservedHandles = 2;
std::atomic<bool> g_admission_enabled{true};
std::mutex g_cooling_mutex;
std::deque<int64_t> g_cooling;  // when recent calls released their media

unsigned cooling_calls(int64_t now) {
  const int64_t window = int64_t(PJ_IOQUEUE_KEY_FREE_DELAY + 100) * 1000000;
  std::lock_guard<std::mutex> lock(g_cooling_mutex);
  while (!g_cooling.empty() && now - g_cooling.front() > window) g_cooling.pop_front();
  return static_cast<unsigned>(g_cooling.size());
}

void note_media_released() {
  std::lock_guard<std::mutex> lock(g_cooling_mutex);
  g_cooling.push_back(monotonic_ns());
}

bool media_headroom() {
  if (!g_admission_enabled.load()) return true;
  unsigned calls = pjsua_call_get_count() + cooling_calls(monotonic_ns()) + 1;
  return calls * kSocketsPerCall + kReservedHandles <= PJ_IOQUEUE_MAX_HANDLES;
}

pj_bool_t admission_on_rx_request(pjsip_rx_data *rdata) {
  pjsip_msg *msg = rdata->msg_info.msg;
  if (msg->line.req.method.id != PJSIP_INVITE_METHOD || rdata->msg_info.to->tag.slen != 0)
    return PJ_FALSE;
  if (media_headroom()) return PJ_FALSE;
  pjsip_hdr headers;
  pj_list_init(&headers);
  pj_str_t retry_name = pj_str(const_cast<char *>("Retry-After"));
  pj_str_t retry_value = pj_str(const_cast<char *>("1"));
  auto *retry = pjsip_generic_string_hdr_create(rdata->tp_info.pool, &retry_name, &retry_value);
  pj_list_push_back(&headers, retry);
  pjsip_endpt_respond_stateless(pjsua_get_pjsip_endpt(), rdata, PJSIP_SC_SERVICE_UNAVAILABLE,
                                nullptr, &headers, nullptr);
  return PJ_TRUE;
}

// ---- media inactivity timeout ------------------------------------------------
//
// pjsua2 has none: a peer that vanishes without BYE is otherwise noticed only
// by session timers. A timer on pjsua's worker thread hangs up a confirmed
// call whose active, receiving audio got no RTP for the configured time.

std::atomic<unsigned> g_media_timeout_ms{0};
constexpr unsigned kMediaWatchTickMs = 250;

struct MediaWatch {
  std::string call_id;
  uint64_t packets;
  int64_t last_change;
};

std::map<pjsua_call_id, MediaWatch> g_media_watch;  // worker thread only
std::mutex g_timed_out_mutex;
std::set<std::string> g_timed_out;  // Call-IDs hung up for silence

bool take_timed_out(const std::string &call_id) {
  std::lock_guard<std::mutex> lock(g_timed_out_mutex);
  return g_timed_out.erase(call_id) > 0;
}

void media_watch_tick(void *) {
  if (pjsua_get_state() != PJSUA_STATE_RUNNING) return;
  unsigned timeout_ms = g_media_timeout_ms.load();
  if (timeout_ms == 0) return;
  const int64_t now = monotonic_ns();
  std::vector<pjsua_call_id> ids(pjsua_call_get_max_count());
  unsigned count = static_cast<unsigned>(ids.size());
  if (pjsua_enum_calls(ids.data(), &count) != PJ_SUCCESS) count = 0;
  std::map<pjsua_call_id, MediaWatch> seen;
  for (unsigned i = 0; i < count; ++i) {
    pjsua_call_info ci;
    if (pjsua_call_get_info(ids[i], &ci) != PJ_SUCCESS || ci.state != PJSIP_INV_STATE_CONFIRMED)
      continue;
    std::string call_id(ci.call_id.ptr, ci.call_id.slen);
    bool expects_rtp = false;
    uint64_t packets = 0;
    for (unsigned m = 0; m < ci.media_cnt; ++m) {
      if (ci.media[m].type != PJMEDIA_TYPE_AUDIO || ci.media[m].status != PJSUA_CALL_MEDIA_ACTIVE ||
          (ci.media[m].dir & PJMEDIA_DIR_DECODING) == 0)
        continue;
      expects_rtp = true;
      pjsua_stream_stat stat;
      if (pjsua_call_get_stream_stat(ids[i], m, &stat) == PJ_SUCCESS) packets += stat.rtcp.rx.pkt;
    }
    auto previous = g_media_watch.find(ids[i]);
    MediaWatch watch{call_id, packets, now};
    if (previous != g_media_watch.end() && previous->second.call_id == call_id &&
        previous->second.packets == packets && expects_rtp) {
      watch.last_change = previous->second.last_change;
    }
    if (expects_rtp && now - watch.last_change > int64_t(timeout_ms) * 1000000) {
      {
        std::lock_guard<std::mutex> lock(g_timed_out_mutex);
        g_timed_out.insert(call_id);
      }
      pj_str_t reason = pj_str(const_cast<char *>("Media Timeout"));
      pjsua_call_hangup(ids[i], PJSIP_SC_REQUEST_TIMEOUT, &reason, nullptr);
      continue;
    }
    seen[ids[i]] = watch;
  }
  g_media_watch.swap(seen);
  pjsua_schedule_timer2(&media_watch_tick, nullptr, kMediaWatchTickMs);
}

// ---- calls -----------------------------------------------------------------

// The native call. It outlives the SIP dialog only as an inert shell: once
// pjsua reports DISCONNECTED, `finished` is set and no operation touches
// pjsua again, because pjsua reuses the call id for the next call.
class ShimCall : public Call {
 public:
  ShimCall(Account &account, uint64_t key, int call_id = PJSUA_INVALID_ID)
      : Call(account, call_id), key(key) {}

  const uint64_t key;
  std::atomic<bool> finished{false};
  std::string src_address;  // of the INVITE, for incoming calls
  // Headers given to earlier answers, by name: pjsip keeps them in the
  // answer it builds next (see answer_headers_on_tx). Owning thread only.
  std::map<std::string, int> answer_headers;

  // Called from the owning thread only, after `finished` or after
  // libDestroy: detaches the pjsua2 object from the (reused) call id so that
  // its destructor neither clears another call's user data nor hangs it up.
  void detach() { this->*call_id_member(CallIdMember()) = PJSUA_INVALID_ID; }

  void visit_info(const CallInfo &ci, sipster_call_info_visitor visit, void *ctx) {
    sipster_call_info info;
    std::memset(&info, 0, sizeof info);
    info.state = ci.state;
    info.state_text = ci.stateText.c_str();
    info.role = ci.role;
    info.last_status_code = ci.lastStatusCode;
    info.last_reason = ci.lastReason.c_str();
    info.local_uri = ci.localUri.c_str();
    info.local_contact = ci.localContact.c_str();
    info.remote_uri = ci.remoteUri.c_str();
    info.remote_contact = ci.remoteContact.c_str();
    info.call_id = ci.callIdString.c_str();
    info.src_address = src_address.c_str();
    info.connect_duration = ci.connectDuration.sec + ci.connectDuration.msec / 1000.0;
    info.total_duration = ci.totalDuration.sec + ci.totalDuration.msec / 1000.0;
    for (const auto &media : ci.media) {
      if (media.type == PJMEDIA_TYPE_AUDIO &&
          (media.status == PJSUA_CALL_MEDIA_ACTIVE || media.status == PJSUA_CALL_MEDIA_REMOTE_HOLD))
        info.has_media = 1;
    }
    info.is_active = ci.state != PJSIP_INV_STATE_DISCONNECTED && ci.state != PJSIP_INV_STATE_NULL;
    visit(ctx, &info);
  }

  void onCallState(OnCallStateParam &) override {
    quietly([&] {
      CallInfo ci;
      quietly([&] { ci = getInfo(); });
      bool disconnected = ci.state == PJSIP_INV_STATE_DISCONNECTED;
      if (disconnected) {
        finished.store(true);
        if (g_lib) g_lib->untrack(g_lib->calls, this);
        note_media_released();
        if (take_timed_out(ci.callIdString)) {
          ci.lastStatusCode = PJSIP_SC_REQUEST_TIMEOUT;
          ci.lastReason = "Media Timeout";
        }
      }
      struct Ctx {
        uint64_t key;
      } ctx{key};
      // The event is the last thing done here: once it is out, the owning
      // thread may destroy this object.
      visit_info(
          ci,
          [](void *raw, const sipster_call_info *info) {
            auto ev = make_event(SIPSTER_EVENT_CALL_STATE, static_cast<Ctx *>(raw)->key);
            ev.call_info = info;
            emit(ev);
          },
          &ctx);
    });
  }

  void onCallMediaState(OnCallMediaStateParam &) override {
    quietly([&] {
      if (finished.load()) return;
      CallInfo ci;
      quietly([&] { ci = getInfo(); });
      std::vector<sipster_stream_info> streams;
      std::vector<std::string> addrs;  // owns the address strings
      addrs.reserve(ci.media.size() * 2);
      for (const auto &media : ci.media) {
        if (media.type != PJMEDIA_TYPE_AUDIO) continue;
        sipster_stream_info stream;
        std::memset(&stream, 0, sizeof stream);
        stream.index = media.index;
        stream.dir = media.dir;
        stream.status = media.status;
        stream.conf_slot = media.audioConfSlot;
        std::string rtp, rtcp;
        quietly([&] {
          StreamInfo si = getStreamInfo(media.index);
          rtp = si.remoteRtpAddress;
          rtcp = si.remoteRtcpAddress;
          stream.dir = si.dir;
        });
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

  void onDtmfDigit(OnDtmfDigitParam &prm) override {
    quietly([&] {
      auto ev = make_event(SIPSTER_EVENT_DTMF, key);
      ev.text = prm.digit.c_str();
      emit(ev);
    });
  }

  // A REFER asks us to place a new call (transfer), an INVITE with Replaces
  // to let a new dialog take this one over. Unless the application gives a
  // new Call object, pjsua2 carries the new call in THIS one: both dialogs'
  // states then reach one JS Call under one key, the first to end marks it
  // finished (the owner frees it while pjsua still holds it as the other
  // call's user data), and the call still up can no longer be controlled.
  // The JS API has no way to hand such a call over yet, so both requests
  // are declined (603) and this call goes on unchanged.
  void onCallTransferRequest(OnCallTransferRequestParam &prm) override {
    prm.statusCode = PJSIP_SC_DECLINE;
  }

  void onCallReplaceRequest(OnCallReplaceRequestParam &prm) override {
    prm.statusCode = PJSIP_SC_DECLINE;
    prm.reason = "Decline";
  }

  void onCallTransferStatus(OnCallTransferStatusParam &prm) override {
    quietly([&] {
      auto ev = make_event(SIPSTER_EVENT_TRANSFER_STATUS, key);
      ev.code = prm.statusCode;
      ev.flag = prm.finalNotify ? 1 : 0;
      ev.text = prm.reason.c_str();
      emit(ev);
    });
  }
};

}  // namespace

namespace sipster_shim {
bool library_ready(sipster_error *err) {
  if (g_lib == nullptr) {
    set_error(err, PJ_EINVALIDOP, "the library is not initialized (call init() first)");
    return false;
  }
  ensure_thread_registered();
  return true;
}

unsigned bridge_clock_rate() { return g_lib ? g_lib->clock_rate : 16000; }
}  // namespace sipster_shim

struct sipster_call {
  ShimCall *call;
};

struct sipster_transport {
  TransportId id;
  bool enabled;
};

// pjsua cannot disable a transport (pjsua_transport_set_enable is a stub),
// so a module at the front of pjsip's pipeline drops what a disabled
// transport receives and refuses what would be sent through it. A transport
// is recognised by type and local port (TCP/TLS connections share the
// listener's port).
namespace {

struct DisabledTransport {
  int type;
  pj_sockaddr addr;
};

std::mutex g_disabled_mutex;
std::vector<DisabledTransport> g_disabled;
std::atomic<bool> g_any_disabled{false};

bool transport_disabled(const pjsip_transport *tp) {
  if (!g_any_disabled.load() || !tp) return false;
  std::lock_guard<std::mutex> lock(g_disabled_mutex);
  for (const auto &d : g_disabled) {
    if (d.type != tp->key.type) continue;
    if (pj_sockaddr_get_port(&d.addr) != pj_sockaddr_get_port(&tp->local_addr)) continue;
    if (!pj_sockaddr_has_addr(&d.addr) || pj_sockaddr_cmp(&d.addr, &tp->local_addr) == 0)
      return true;
  }
  return false;
}

pj_bool_t gate_on_rx(pjsip_rx_data *rdata) {
  return transport_disabled(rdata->tp_info.transport) ? PJ_TRUE : PJ_FALSE;
}

pj_status_t gate_on_tx(pjsip_tx_data *tdata) {
  return transport_disabled(tdata->tp_info.transport) ? PJSIP_ETPNOTAVAIL : PJ_SUCCESS;
}

void set_transport_gate(TransportId id, bool enabled) {
  pjsua_transport_info info;
  pj_status_t status = pjsua_transport_get_info(id, &info);
  if (status != PJ_SUCCESS) fail(status, "unknown transport");
  std::lock_guard<std::mutex> lock(g_disabled_mutex);
  for (auto it = g_disabled.begin(); it != g_disabled.end();) {
    bool same = it->type == info.type && pj_sockaddr_cmp(&it->addr, &info.local_addr) == 0;
    it = same ? g_disabled.erase(it) : it + 1;
  }
  if (!enabled) g_disabled.push_back(DisabledTransport{info.type, info.local_addr});
  g_any_disabled.store(!g_disabled.empty());
}

// ---- headers of earlier answers ----------------------------------------------
//
// pjsip builds each answer to an INVITE from the previous one (the 180's
// message becomes the 200), so headers the application gave an earlier
// answer would go out again, twice if it gives them again. While the shim
// answers, this hook removes them from the response before it is printed:
// the first `count` headers of each name, which are the ones appended by
// earlier answers (the new ones come after them). Counts go down as headers
// are removed, so a second pass over the same message removes nothing.

using HeaderCounts = std::map<std::string, int>;
thread_local HeaderCounts *t_earlier_answer_headers = nullptr;

pj_status_t answer_headers_on_tx(pjsip_tx_data *tdata) {
  HeaderCounts *earlier = t_earlier_answer_headers;
  pjsip_msg *msg = tdata->msg;
  if (!earlier || msg->type != PJSIP_RESPONSE_MSG) return PJ_SUCCESS;
  auto *cseq = static_cast<pjsip_cseq_hdr *>(pjsip_msg_find_hdr(msg, PJSIP_H_CSEQ, nullptr));
  if (!cseq || cseq->method.id != PJSIP_INVITE_METHOD) return PJ_SUCCESS;
  for (auto &entry : *earlier) {
    int &count = entry.second;
    pj_str_t hname = pj_str(const_cast<char *>(entry.first.c_str()));
    for (; count > 0; --count) {
      auto *header = static_cast<pjsip_hdr *>(pjsip_msg_find_hdr_by_name(msg, &hname, nullptr));
      if (!header) {
        count = 0;
        break;
      }
      pj_list_erase(header);
    }
  }
  return PJ_SUCCESS;
}

// Runs an operation that may send a response to the INVITE (answer, or
// hangup of a call not yet answered) with the earlier answers' headers
// marked for removal, then notes what the next such response must remove:
// this one's headers, and any earlier ones the hook did not see (pjsua may
// send an answer later, from its own thread, when the media transport is
// not ready yet).
template <typename Send>
void with_answer_headers(ShimCall &call, const CallOpParam &prm, Send &&send) {
  HeaderCounts earlier = call.answer_headers;
  t_earlier_answer_headers = &earlier;
  struct Reset {
    ~Reset() { t_earlier_answer_headers = nullptr; }
  } reset;
  send();
  HeaderCounts remaining;
  for (const auto &entry : earlier)
    if (entry.second > 0) remaining[entry.first] += entry.second;
  for (const auto &header : prm.txOption.headers) ++remaining[header.hName];
  call.answer_headers.swap(remaining);
}

// The shim's pjsip modules, in pipeline order. pjsip keeps pointers to
// them, hence globals.
pjsip_module g_gate_module, g_hygiene_module, g_admission_module, g_fallback_module,
    g_answer_headers_module;

void register_module(pjsip_module &module, const char *name, int priority,
                     pj_bool_t (*on_rx_request)(pjsip_rx_data *),
                     pj_bool_t (*on_rx_response)(pjsip_rx_data *) = nullptr,
                     pj_status_t (*on_tx)(pjsip_tx_data *) = nullptr) {
  std::memset(&module, 0, sizeof module);
  module.name = pj_str(const_cast<char *>(name));
  module.id = -1;
  module.priority = priority;
  module.on_rx_request = on_rx_request;
  module.on_rx_response = on_rx_response;
  module.on_tx_request = on_tx;
  module.on_tx_response = on_tx;
  pjsip_endpt_register_module(pjsua_get_pjsip_endpt(), &module);
}

void register_modules() {
  register_module(g_gate_module, "mod-sipster-transport-gate",
                  PJSIP_MOD_PRIORITY_TRANSPORT_LAYER - 2, &gate_on_rx, &gate_on_rx, &gate_on_tx);
  // Before the transaction layer, which a malformed request can abort.
  register_module(g_hygiene_module, "mod-sipster-hygiene", PJSIP_MOD_PRIORITY_TSX_LAYER - 1,
                  &hygiene_on_rx_request);
  // After the transaction and dialog layers: only new INVITEs get here.
  register_module(g_admission_module, "mod-sipster-admission", PJSIP_MOD_PRIORITY_APPLICATION - 1,
                  &admission_on_rx_request);
  // After everything: what nobody handled.
  register_module(g_fallback_module, "mod-sipster-fallback", PJSIP_MOD_PRIORITY_APPLICATION + 32,
                  &fallback_on_rx_request);
  // Outgoing messages pass the modules from the highest priority number
  // down: this one sees a response before the transport layer prints it.
  register_module(g_answer_headers_module, "mod-sipster-answer-headers",
                  PJSIP_MOD_PRIORITY_APPLICATION, nullptr, nullptr, &answer_headers_on_tx);
}

}  // namespace

namespace {

class ShimAccount : public Account {
 public:
  explicit ShimAccount(uint64_t key) : key(key) {}
  const uint64_t key;

  void onRegStarted(OnRegStartedParam &prm) override {
    quietly([&] {
      auto ev = make_event(SIPSTER_EVENT_REG_STARTED, key);
      ev.flag = prm.renew ? 1 : 0;
      emit(ev);
    });
  }

  void onRegState(OnRegStateParam &prm) override {
    quietly([&] {
      auto ev = make_event(SIPSTER_EVENT_REG_STATE, key);
      ev.code = prm.code;
      ev.expires = static_cast<int32_t>(prm.expiration);
      quietly([&] { ev.flag = getInfo().regIsActive ? 1 : 0; });
      ev.text = prm.reason.c_str();
      emit(ev);
    });
  }

  void onIncomingCall(OnIncomingCallParam &prm) override {
    quietly([&] {
      uint64_t call_key = sipster_next_key();
      auto *call = new ShimCall(*this, call_key, prm.callId);
      call->src_address = prm.rdata.srcAddress;
      if (g_lib) g_lib->track(g_lib->calls, call);
      CallInfo ci;
      quietly([&] { ci = call->getInfo(); });
      auto *handle = new sipster_call{call};
      struct Ctx {
        uint64_t account_key, call_key;
        sipster_call *handle;
      } ctx{key, call_key, handle};
      call->visit_info(
          ci,
          [](void *raw, const sipster_call_info *info) {
            auto *c = static_cast<Ctx *>(raw);
            auto ev = make_event(SIPSTER_EVENT_INCOMING_CALL, c->account_key);
            ev.call = c->handle;
            ev.call_key = c->call_key;
            ev.call_info = info;
            emit(ev);
          },
          &ctx);
    });
  }
};

}  // namespace

struct sipster_account {
  ShimAccount *account;
};

// ---- players -------------------------------------------------

namespace {

class ShimPlayer : public AudioMediaPlayer {
 public:
  ShimPlayer(uint64_t key, bool no_loop) : key(key), no_loop(no_loop) {}
  const uint64_t key;
  const bool no_loop;
  // pjsua2 calls this at every wrap of a looping player too; `eof` is for
  // the end of a non-looping one.
  void onEof2() override {
    if (!no_loop) return;
    quietly([&] {
      auto ev = make_event(SIPSTER_EVENT_PLAYER_EOF, key);
      emit(ev);
    });
  }
};

}  // namespace

struct sipster_player {
  ShimPlayer *player;
};

// ---- library ---------------------------------------------------------------

extern "C" {

int64_t sipster_now_ns(void) { return monotonic_ns(); }

uint64_t sipster_next_key(void) {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

void sipster_string_free(char *s) { std::free(s); }

int sipster_default_config(const char *kind, char **json_out, sipster_error *err) {
  *json_out = nullptr;
  // JsonDocument needs pjlib; before init() a private instance serves.
  return guarded(err, "default config", [&] {
    if (g_lib == nullptr) {
      pj_log_set_level(0);
      pj_status_t status = pj_init();
      if (status != PJ_SUCCESS) fail(status, "pj_init failed");
    } else {
      ensure_thread_registered();
    }
    std::string k = nonnull(kind);
    std::string json;
    {
      JsonDocument doc;
      if (k == "EpConfig") {
        EpConfig c;
        doc.writeObject(c);
      } else if (k == "AccountConfig") {
        AccountConfig c;
        doc.writeObject(c);
      } else if (k == "TransportConfig") {
        TransportConfig c;
        doc.writeObject(c);
      } else if (k == "AuthCredInfo") {
        AuthCredInfo c;
        doc.writeObject(c);
      } else if (k == "AccountConfigItems") {
        // One default element in each array of objects: the templates for
        // array items the user gives.
        AccountConfig c;
        c.sipConfig.authCreds.push_back(AuthCredInfo());
        c.regConfig.headers.push_back(SipHeader());
        c.presConfig.headers.push_back(SipHeader());
        c.mediaConfig.srtpOpt.cryptos.push_back(SrtpCrypto());
        doc.writeObject(c);
      } else {
        fail(PJ_EINVAL, "unknown config kind " + k);
      }
      json = doc.saveString();
    }
    if (g_lib == nullptr) pj_shutdown();
    *json_out = dup_string(json);
  });
}

void sipster_constants(sipster_constant_visitor visit, void *ctx) {
  // Taken from the installed headers, so they match the linked library.
  static const struct {
    const char *name;
    int64_t value;
  } constants[] = {{"PJSIP_TLSV1_METHOD", PJSIP_TLSV1_METHOD},
                   {"PJSIP_TLSV1_1_METHOD", PJSIP_TLSV1_1_METHOD},
                   {"PJSIP_TLSV1_2_METHOD", PJSIP_TLSV1_2_METHOD},
                   {"PJSIP_TLSV1_3_METHOD", PJSIP_TLSV1_3_METHOD},
                   {"PJSIP_SSLV2_METHOD", PJSIP_SSLV2_METHOD},
                   {"PJSIP_SSLV3_METHOD", PJSIP_SSLV3_METHOD},
                   {"PJSIP_SSLV23_METHOD", PJSIP_SSLV23_METHOD},
                   {"PJ_LOG_HAS_DAY_NAME", PJ_LOG_HAS_DAY_NAME},
                   {"PJ_LOG_HAS_YEAR", PJ_LOG_HAS_YEAR},
                   {"PJ_LOG_HAS_MONTH", PJ_LOG_HAS_MONTH},
                   {"PJ_LOG_HAS_DAY_OF_MON", PJ_LOG_HAS_DAY_OF_MON},
                   {"PJ_LOG_HAS_TIME", PJ_LOG_HAS_TIME},
                   {"PJ_LOG_HAS_MICRO_SEC", PJ_LOG_HAS_MICRO_SEC},
                   {"PJ_LOG_HAS_SENDER", PJ_LOG_HAS_SENDER},
                   {"PJ_LOG_HAS_NEWLINE", PJ_LOG_HAS_NEWLINE},
                   {"PJ_LOG_HAS_CR", PJ_LOG_HAS_CR},
                   {"PJ_LOG_HAS_SPACE", PJ_LOG_HAS_SPACE},
                   {"PJ_LOG_HAS_COLOR", PJ_LOG_HAS_COLOR},
                   {"PJ_LOG_HAS_LEVEL_TEXT", PJ_LOG_HAS_LEVEL_TEXT},
                   {"PJ_LOG_HAS_THREAD_ID", PJ_LOG_HAS_THREAD_ID},
                   {"PJ_LOG_HAS_THREAD_SWC", PJ_LOG_HAS_THREAD_SWC},
                   {"PJ_LOG_HAS_INDENT", PJ_LOG_HAS_INDENT},
                   {"PJ_QOS_TYPE_BEST_EFFORT", PJ_QOS_TYPE_BEST_EFFORT},
                   {"PJ_QOS_TYPE_BACKGROUND", PJ_QOS_TYPE_BACKGROUND},
                   {"PJ_QOS_TYPE_VIDEO", PJ_QOS_TYPE_VIDEO},
                   {"PJ_QOS_TYPE_VOICE", PJ_QOS_TYPE_VOICE},
                   {"PJ_QOS_TYPE_CONTROL", PJ_QOS_TYPE_CONTROL},
                   {"PJ_QOS_TYPE_SIGNALLING", PJ_QOS_TYPE_SIGNALLING},
                   {"PJSIP_CRED_DATA_PLAIN_PASSWD", PJSIP_CRED_DATA_PLAIN_PASSWD},
                   {"PJSIP_CRED_DATA_DIGEST", PJSIP_CRED_DATA_DIGEST},
                   {"PJSIP_CRED_DATA_EXT_AKA", PJSIP_CRED_DATA_EXT_AKA},
                   {"PJMEDIA_SRTP_DISABLED", PJMEDIA_SRTP_DISABLED},
                   {"PJMEDIA_SRTP_OPTIONAL", PJMEDIA_SRTP_OPTIONAL},
                   {"PJMEDIA_SRTP_MANDATORY", PJMEDIA_SRTP_MANDATORY},
                   {"PJSUA_CALL_HOLD_TYPE_RFC3264", PJSUA_CALL_HOLD_TYPE_RFC3264},
                   {"PJSUA_CALL_HOLD_TYPE_RFC2543", PJSUA_CALL_HOLD_TYPE_RFC2543},
                   {"PJSUA_SIP_TIMER_INACTIVE", PJSUA_SIP_TIMER_INACTIVE},
                   {"PJSUA_SIP_TIMER_OPTIONAL", PJSUA_SIP_TIMER_OPTIONAL},
                   {"PJSUA_SIP_TIMER_REQUIRED", PJSUA_SIP_TIMER_REQUIRED},
                   {"PJSUA_SIP_TIMER_ALWAYS", PJSUA_SIP_TIMER_ALWAYS},
                   {"PJSUA_100REL_NOT_USED", PJSUA_100REL_NOT_USED},
                   {"PJSUA_100REL_MANDATORY", PJSUA_100REL_MANDATORY},
                   {"PJSUA_100REL_OPTIONAL", PJSUA_100REL_OPTIONAL},
                   {"PJSUA_STUN_USE_DISABLED", PJSUA_STUN_USE_DISABLED},
                   {"PJSUA_STUN_USE_DEFAULT", PJSUA_STUN_USE_DEFAULT},
                   {"PJSUA_STUN_RETRY_ON_FAILURE", PJSUA_STUN_RETRY_ON_FAILURE},
                   {"PJSUA_NAT64_DISABLED", PJSUA_NAT64_DISABLED},
                   {"PJSUA_NAT64_ENABLED", PJSUA_NAT64_ENABLED},
                   {"PJSUA_IPV6_DISABLED", PJSUA_IPV6_DISABLED},
                   {"PJSUA_IPV6_ENABLED", PJSUA_IPV6_ENABLED},
                   {"PJSIP_TRANSPORT_RELIABLE", PJSIP_TRANSPORT_RELIABLE},
                   {"PJSIP_TRANSPORT_SECURE", PJSIP_TRANSPORT_SECURE},
                   {"PJSIP_TRANSPORT_DATAGRAM", PJSIP_TRANSPORT_DATAGRAM},
                   {"PJSIP_TRANSPORT_UDP", PJSIP_TRANSPORT_UDP},
                   {"PJSIP_TRANSPORT_TCP", PJSIP_TRANSPORT_TCP},
                   {"PJSIP_TRANSPORT_TLS", PJSIP_TRANSPORT_TLS},
                   {"PJSIP_TRANSPORT_UDP6", PJSIP_TRANSPORT_UDP6},
                   {"PJSIP_TRANSPORT_TCP6", PJSIP_TRANSPORT_TCP6},
                   {"PJSIP_TRANSPORT_TLS6", PJSIP_TRANSPORT_TLS6},
                   {"PJSIP_TRANSPORT_IPV6", PJSIP_TRANSPORT_IPV6},
                   {"PJMEDIA_DIR_NONE", PJMEDIA_DIR_NONE},
                   {"PJMEDIA_DIR_ENCODING", PJMEDIA_DIR_ENCODING},
                   {"PJMEDIA_DIR_DECODING", PJMEDIA_DIR_DECODING},
                   {"PJMEDIA_DIR_ENCODING_DECODING", PJMEDIA_DIR_ENCODING_DECODING},
                   {"PJSIP_INV_STATE_NULL", PJSIP_INV_STATE_NULL},
                   {"PJSIP_INV_STATE_CALLING", PJSIP_INV_STATE_CALLING},
                   {"PJSIP_INV_STATE_INCOMING", PJSIP_INV_STATE_INCOMING},
                   {"PJSIP_INV_STATE_EARLY", PJSIP_INV_STATE_EARLY},
                   {"PJSIP_INV_STATE_CONNECTING", PJSIP_INV_STATE_CONNECTING},
                   {"PJSIP_INV_STATE_CONFIRMED", PJSIP_INV_STATE_CONFIRMED},
                   {"PJSIP_INV_STATE_DISCONNECTED", PJSIP_INV_STATE_DISCONNECTED},
                   {"PJSUA_STATE_NULL", PJSUA_STATE_NULL},
                   {"PJSUA_STATE_CREATED", PJSUA_STATE_CREATED},
                   {"PJSUA_STATE_INIT", PJSUA_STATE_INIT},
                   {"PJSUA_STATE_STARTING", PJSUA_STATE_STARTING},
                   {"PJSUA_STATE_RUNNING", PJSUA_STATE_RUNNING},
                   {"PJSUA_STATE_CLOSING", PJSUA_STATE_CLOSING},
                   {"PJ_TURN_TP_UDP", PJ_TURN_TP_UDP},
                   {"PJ_TURN_TP_TCP", PJ_TURN_TP_TCP},
                   {"PJ_TURN_TP_TLS", PJ_TURN_TP_TLS},
                   {"PJSUA_CONTACT_REWRITE_UNREGISTER", PJSUA_CONTACT_REWRITE_UNREGISTER},
                   {"PJSUA_CONTACT_REWRITE_NO_UNREG", PJSUA_CONTACT_REWRITE_NO_UNREG},
                   {"PJSUA_CONTACT_REWRITE_ALWAYS_UPDATE", PJSUA_CONTACT_REWRITE_ALWAYS_UPDATE},
                   {"PJSUA_REG_USE_OUTBOUND_PROXY", PJSUA_REG_USE_OUTBOUND_PROXY},
                   {"PJSUA_REG_USE_ACC_PROXY", PJSUA_REG_USE_ACC_PROXY}};
  for (const auto &c : constants) visit(ctx, c.name, c.value);
}

int sipster_lib_init(const char *ep_config_json, int log_to_sink, sipster_event_sink sink,
                     void *sink_ctx, sipster_error *err) {
  std::lock_guard<std::mutex> guard(g_lib_mutex);
  if (g_lib) return set_error(err, PJ_EINVALIDOP, "init: the library is already initialized");
  Library *lib = nullptr;
  int rc = guarded(err, "init", [&] {
    lib = new Library();
    lib->endpoint.libCreate();
    EpConfig config;
    {
      JsonDocument doc;
      doc.loadString(nonnull(ep_config_json));
      doc.readObject(config);
    }
    // Keep pjsip's early lines as quiet as the user asked.
    pj_log_set_level(config.logConfig.consoleLevel);
    if (log_to_sink) config.logConfig.writer = new SinkLogWriter();
    g_sink = sink;
    g_sink_ctx = sink_ctx;
    lib->endpoint.libInit(config);
    // Servers have no sound card: pjsua's null device drives the bridge.
    lib->endpoint.audDevManager().setNullDev();
    register_modules();
    {
      JsonDocument doc;
      config.logConfig.writer = nullptr;
      doc.writeObject(config);
      lib->config_json = doc.saveString();
    }
    lib->clock_rate = config.medConfig.clockRate;
    lib->channel_count = config.medConfig.channelCount;
    lib->frame_ptime = config.medConfig.audioFramePtime;
    g_lib = lib;
  });
  if (rc != 0 && lib) {
    quietly([&] { lib->endpoint.libDestroy(); });
    g_sink = nullptr;
    delete lib;
  }
  return rc;
}

void sipster_set_options(uint32_t media_timeout_ms, int admission_guard) {
  g_media_timeout_ms.store(media_timeout_ms);
  g_admission_enabled.store(admission_guard != 0);
}

int sipster_lib_start(sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "start", [&] {
    if (g_lib->endpoint.libGetState() == PJSUA_STATE_RUNNING)
      fail(PJ_EINVALIDOP, "the library is already started");
    g_lib->endpoint.libStart();
    pjsua_schedule_timer2(&media_watch_tick, nullptr, kMediaWatchTickMs);
  });
}

int sipster_lib_destroy(sipster_error *err) {
  std::lock_guard<std::mutex> guard(g_lib_mutex);
  if (!g_lib) return 0;
  ensure_thread_registered();
  Library *lib = g_lib;
  int rc = guarded(err, "shutdown", [&] {
    // Live calls are hung up here (the peer gets its BYE from libDestroy's
    // event processing); their pjsua2 objects are detached once the library
    // is gone so that a late destroy is harmless.
    std::vector<ShimCall *> calls = lib->take_all(lib->calls);
    for (auto *player : lib->take_all(lib->players)) {
      quietly([&] { delete player->player; });
      player->player = nullptr;
    }
    pcm_ports_release_all();
    // pjsua waits a second for responses at shutdown; that wait only buys
    // something when there are calls to hang up or registrations to undo.
    bool needs_network = pjsua_call_get_count() > 0;
    for (auto *account : lib->take_all(lib->accounts)) {
      quietly([&] { needs_network = needs_network || account->getInfo().regIsConfigured; });
      quietly([&] { account->shutdown(); });
    }
    lib->endpoint.libDestroy(needs_network ? 0 : PJSUA_DESTROY_NO_RX_MSG);
    for (auto *call : calls) {
      call->finished.store(true);
      call->detach();
    }
    for (auto *t : lib->take_all(lib->transports)) t->enabled = false;
    std::lock_guard<std::mutex> lock(g_disabled_mutex);
    g_disabled.clear();
    g_any_disabled.store(false);
  });
  g_lib = nullptr;
  g_sink = nullptr;
  quietly([&] { delete lib; });
  return rc;
}

int32_t sipster_lib_state(void) {
  if (!g_lib) return -1;
  return g_lib->endpoint.libGetState();
}

void sipster_lib_version(sipster_version *out) {
  static std::string suffix, full;
  out->major = PJ_VERSION_NUM_MAJOR;
  out->minor = PJ_VERSION_NUM_MINOR;
  out->rev = PJ_VERSION_NUM_REV;
  // The runtime library's version, not the header's.
  const char *runtime = pj_get_version();
  full = runtime;
  int major = 0, minor = 0, rev = 0, consumed = 0;
  if (std::sscanf(runtime, "%d.%d%n", &major, &minor, &consumed) >= 2) {
    out->major = major;
    out->minor = minor;
    out->rev = 0;
    const char *rest = runtime + consumed;
    if (*rest == '.' && std::sscanf(rest, ".%d%n", &rev, &consumed) >= 1) {
      out->rev = rev;
      rest += consumed;
    }
    suffix = rest;
  }
  out->numeric =
      (uint32_t(out->major) << 24) | (uint32_t(out->minor) << 16) | (uint32_t(out->rev) << 8);
  out->suffix = suffix.c_str();
  out->full = full.c_str();
}

int sipster_lib_config(char **json_out, sipster_error *err) {
  *json_out = nullptr;
  if (!library_ready(err)) return err->status;
  *json_out = dup_string(g_lib->config_json);
  return 0;
}

uint32_t sipster_media_active_ports(void) {
  if (!g_lib) return 0;
  ensure_thread_registered();
  return pjsua_conf_get_active_ports();
}

uint32_t sipster_media_max_ports(void) {
  if (!g_lib) return 0;
  ensure_thread_registered();
  return pjsua_conf_get_max_ports();
}

uint32_t sipster_media_clock_rate(void) { return bridge_clock_rate(); }

uint32_t sipster_max_calls(void) {
  if (!g_lib) return 0;
  ensure_thread_registered();
  return pjsua_call_get_max_count();
}

uint32_t sipster_call_count(void) {
  if (!g_lib) return 0;
  ensure_thread_registered();
  return pjsua_call_get_count();
}

int sipster_hangup_all_calls(sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "hangupAllCalls", [&] { g_lib->endpoint.hangupAllCalls(); });
}

// ---- transport -------------------------------------------------------------

int sipster_transport_create(int32_t type, const char *config_json, sipster_transport **out,
                             sipster_error *err) {
  *out = nullptr;
  if (!library_ready(err)) return err->status;
  return guarded(err, "new Transport", [&] {
    TransportConfig config;
    JsonDocument doc;
    doc.loadString(nonnull(config_json));
    doc.readObject(config);
    TransportId id =
        g_lib->endpoint.transportCreate(static_cast<pjsip_transport_type_e>(type), config);
    *out = new sipster_transport{id, true};
    g_lib->track(g_lib->transports, *out);
  });
}

int32_t sipster_transport_id(const sipster_transport *t) { return t->id; }

int sipster_transport_get_info(const sipster_transport *t, sipster_transport_info_visitor visit,
                               void *ctx, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "Transport.getInfo", [&] {
    TransportInfo ti = g_lib->endpoint.transportGetInfo(t->id);
    sipster_transport_info info;
    info.id = ti.id;
    info.type = ti.type;
    info.type_name = ti.typeName.c_str();
    info.info = ti.info.c_str();
    info.flags = ti.flags;
    info.local_address = ti.localAddress.c_str();
    info.local_name = ti.localName.c_str();
    info.usage_count = ti.usageCount;
    visit(ctx, &info);
  });
}

int sipster_transport_set_enabled(sipster_transport *t, int enabled, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, enabled ? "Transport.enable" : "Transport.disable", [&] {
    set_transport_gate(t->id, enabled != 0);
    t->enabled = enabled != 0;
  });
}

int sipster_transport_is_enabled(const sipster_transport *t) { return t->enabled ? 1 : 0; }

void sipster_transport_destroy(sipster_transport *t) {
  if (!t) return;
  if (g_lib && g_lib->untrack(g_lib->transports, t)) {
    ensure_thread_registered();
    quietly([&] { g_lib->endpoint.transportClose(t->id); });
  }
  delete t;
}

// ---- account ---------------------------------------------------------------

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
    std::unique_ptr<ShimAccount> account(new ShimAccount(key));
    account->create(config, make_default != 0);
    *out = new sipster_account{account.release()};
    g_lib->track(g_lib->accounts, (*out)->account);
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

int sipster_account_is_default(const sipster_account *a) {
  if (!g_lib || !a->account) return 0;
  ensure_thread_registered();
  bool result = false;
  quietly([&] { result = a->account->isValid() && a->account->isDefault(); });
  return result ? 1 : 0;
}

int sipster_account_is_valid(const sipster_account *a) {
  if (!g_lib || !a->account) return 0;
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
    g_lib->track(g_lib->calls, call.get());
    try {
      call->makeCall(nonnull(dest_uri), prm);
    } catch (...) {
      g_lib->untrack(g_lib->calls, call.get());
      call->detach();
      throw;
    }
    *out = new sipster_call{call.release()};
  });
}

void sipster_account_destroy(sipster_account *a) {
  if (!a) return;
  if (a->account && g_lib && g_lib->untrack(g_lib->accounts, a->account)) {
    ensure_thread_registered();
    // Unregister while the object is whole: pjsua reports it synchronously.
    quietly([&] { a->account->shutdown(); });
    quietly([&] { delete a->account; });
  } else if (a->account && !g_lib) {
    // Shut down with the library already: the pjsua2 object holds nothing.
    quietly([&] { delete a->account; });
  }
  delete a;
}

// ---- call ------------------------------------------------------------------

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

int sipster_call_is_finished(const sipster_call *c) { return c->call->finished.load() ? 1 : 0; }

int sipster_call_get_info(const sipster_call *c, sipster_call_info_visitor visit, void *ctx,
                          sipster_error *err) {
  if (!call_alive(c, err, "Call.getInfo")) return err->status;
  return guarded(err, "Call.getInfo", [&] {
    CallInfo ci = c->call->getInfo();
    c->call->visit_info(ci, visit, ctx);
  });
}

int sipster_call_answer(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.answer")) return err->status;
  return guarded(err, "Call.answer", [&] {
    CallOpParam prm(true);
    prm.statusCode = PJSIP_SC_OK;
    apply_call_op(prm, op);
    with_answer_headers(*c->call, prm, [&] { c->call->answer(prm); });
  });
}

int sipster_call_hangup(sipster_call *c, const sipster_call_op *op, sipster_error *err) {
  if (!call_alive(c, err, "Call.hangup")) return err->status;
  return guarded(err, "Call.hangup", [&] {
    CallOpParam prm;
    prm.statusCode = PJSIP_SC_DECLINE;
    apply_call_op(prm, op);
    with_answer_headers(*c->call, prm, [&] { c->call->hangup(prm); });
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

int sipster_call_dial_dtmf(sipster_call *c, const char *digits, sipster_error *err) {
  if (!call_alive(c, err, "Call.dtmf")) return err->status;
  return guarded(err, "Call.dtmf", [&] { c->call->dialDtmf(nonnull(digits)); });
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
  if (g_lib) ensure_thread_registered();
  if (call->finished.load()) {
    call->detach();
  } else if (g_lib) {
    // Only reached when the owner gives up a live call (shutdown paths):
    // pjsua2's destructor hangs it up.
    g_lib->untrack(g_lib->calls, call);
  }
  quietly([&] { delete call; });
}

// ---- players, conference ----------------------------------------

int sipster_player_create(const char *const *files, size_t count, int no_loop, uint64_t key,
                          sipster_player **out, sipster_error *err) {
  *out = nullptr;
  if (!library_ready(err)) return err->status;
  const char *op = count > 1 ? "createPlaylist" : "createPlayer";
  return guarded(err, op, [&] {
    std::unique_ptr<ShimPlayer> player(new ShimPlayer(key, no_loop != 0));
    unsigned options = no_loop ? PJMEDIA_FILE_NO_LOOP : 0;
    if (count == 1) {
      player->createPlayer(nonnull(files[0]), options);
    } else {
      StringVector names;
      for (size_t i = 0; i < count; ++i) names.push_back(nonnull(files[i]));
      player->createPlaylist(names, "", options);
    }
    *out = new sipster_player{player.release()};
    g_lib->track(g_lib->players, *out);
  });
}

int32_t sipster_player_conf_slot(const sipster_player *p) {
  if (!p->player) return PJSUA_INVALID_ID;
  return p->player->getPortId();
}

void sipster_player_destroy(sipster_player *p) {
  if (!p) return;
  if (g_lib && g_lib->untrack(g_lib->players, p)) {
    ensure_thread_registered();
    quietly([&] { delete p->player; });
  }
  delete p;
}

int sipster_conf_connect(int32_t source, int32_t sink, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  pj_status_t status = pjsua_conf_connect(source, sink);
  return status == PJ_SUCCESS ? 0 : error_from_pj(err, "startTransmitTo", status);
}

int sipster_conf_disconnect(int32_t source, int32_t sink, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  pj_status_t status = pjsua_conf_disconnect(source, sink);
  return status == PJ_SUCCESS ? 0 : error_from_pj(err, "stopTransmitTo", status);
}

// Levels are seen from the media, as pjsua2's AudioMedia sees them: what a
// media transmits enters the bridge (the bridge port's rx), what it
// receives leaves the bridge (the port's tx).
int sipster_conf_adjust_level(int32_t slot, int media_tx, float level, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  pj_status_t status =
      media_tx ? pjsua_conf_adjust_rx_level(slot, level) : pjsua_conf_adjust_tx_level(slot, level);
  return status == PJ_SUCCESS
             ? 0
             : error_from_pj(err, media_tx ? "adjustTxLevel" : "adjustRxLevel", status);
}

int sipster_conf_signal_level(int32_t slot, uint32_t *tx_level, uint32_t *rx_level,
                              sipster_error *err) {
  if (!library_ready(err)) return err->status;
  unsigned to_port = 0, from_port = 0;
  pj_status_t status = pjsua_conf_get_signal_level(slot, &to_port, &from_port);
  if (status != PJ_SUCCESS) return error_from_pj(err, "signal level", status);
  // 0..100, as pjsua2 reports them.
  *tx_level = from_port * 100 / 255;
  *rx_level = to_port * 100 / 255;
  return 0;
}

}  // extern "C"
