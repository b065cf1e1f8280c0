// The library: its lifecycle and state, the event path to the sink, pjsua2
// defaults and constants, and the C ABI of sipster_lib_* (see sipster.h for
// the conventions).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "account.h"
#include "call.h"
#include <algorithm>

#include "library.h"
#include "player.h"

using namespace pj;

static_assert(SIPSTER_PJ_EINVAL == PJ_EINVAL, "PJ_EINVAL differs from sipster.h");
static_assert(SIPSTER_PJ_EINVALIDOP == PJ_EINVALIDOP, "PJ_EINVALIDOP differs from sipster.h");
static_assert(SIPSTER_PJSIP_ESESSIONTERMINATED == PJSIP_ESESSIONTERMINATED,
              "PJSIP_ESESSIONTERMINATED differs from sipster.h");
static_assert(SIPSTER_PJ_EUNKNOWN == PJ_EUNKNOWN, "PJ_EUNKNOWN differs from sipster.h");
static_assert(SIPSTER_PJ_ERRNO_START_SYS == PJ_ERRNO_START_SYS,
              "PJ_ERRNO_START_SYS differs from sipster.h");

namespace sipster_shim {

std::atomic<Library *> g_library{nullptr};

namespace {

std::mutex g_library_mutex;  // serialises init and shutdown

// The sink and its context. Set before pjsip's threads start and cleared
// after they are gone; atomic all the same, as those threads read them.
std::atomic<sipster_event_sink> g_sink{nullptr};
std::atomic<void *> g_sink_ctx{nullptr};

void set_sink(sipster_event_sink sink, void *ctx) {
  g_sink_ctx.store(ctx, std::memory_order_release);
  g_sink.store(sink, std::memory_order_release);
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

}  // namespace

int64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

char *dup_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

sipster_event make_event(sipster_event_kind kind, uint64_t source) {
  sipster_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.kind = kind;
  ev.source = source;
  return ev;
}

void emit(sipster_event &ev) {
  ev.timestamp_ns = monotonic_ns();
  sipster_event_sink sink = g_sink.load(std::memory_order_acquire);
  if (sink) sink(g_sink_ctx.load(std::memory_order_acquire), &ev);
}

void apply_call_op(CallOpParam &prm, const sipster_call_op *op) {
#ifdef PJSUA_TXT_DEFAULT_REDUNDANCY_LEVEL
  // From 2.17 pjsua offers a real-time text stream (m=text, RFC 4103) on
  // every call unless told otherwise; trunks and PBXs expect audio only.
  prm.opt.textCount = 0;
#endif
  if (!op) return;
  if (op->status_code) prm.statusCode = static_cast<pjsip_status_code>(op->status_code);
  if (op->reason) prm.reason = op->reason;
  add_headers(prm.txOption, op->headers, op->header_count);
}

void add_headers(SipTxOption &option, const sipster_header *headers, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    SipHeader header;
    header.hName = nonnull(headers[i].name);
    header.hValue = nonnull(headers[i].value);
    option.headers.push_back(header);
  }
}

void register_module(pjsip_module &module, const char *name, int priority,
                     pj_bool_t (*on_rx_request)(pjsip_rx_data *),
                     pj_bool_t (*on_rx_response)(pjsip_rx_data *),
                     pj_status_t (*on_tx)(pjsip_tx_data *)) {
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

bool library_ready(sipster_error *err) {
  if (current_library() == nullptr) {
    set_error(err, PJ_EINVALIDOP, "the library is not initialized (call init() first)");
    return false;
  }
  ensure_thread_registered();
  return true;
}

unsigned bridge_clock_rate() {
  Library *lib = current_library();
  return lib ? lib->clock_rate : 16000;
}

}  // namespace sipster_shim

using namespace sipster_shim;

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
    if (current_library() == nullptr) {
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
    if (current_library() == nullptr) pj_shutdown();
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
                   {"PJSUA_REG_USE_ACC_PROXY", PJSUA_REG_USE_ACC_PROXY},
                   // What err.status holds for ERR_SIPSTER_STATE.
                   {"PJ_EINVALIDOP", PJ_EINVALIDOP},
                   // err.status of an OS error n is PJ_ERRNO_START_SYS + n.
                   {"PJ_ERRNO_START_SYS", PJ_ERRNO_START_SYS},
                   {"PJSIP_ESESSIONTERMINATED", PJSIP_ESESSIONTERMINATED}};
  for (const auto &c : constants) visit(ctx, c.name, c.value);
}

int sipster_lib_init(const char *ep_config_json, int log_to_sink, sipster_event_sink sink,
                     void *sink_ctx, sipster_error *err) {
  std::lock_guard<std::mutex> guard(g_library_mutex);
  if (current_library())
    return set_error(err, PJ_EINVALIDOP, "init: the library is already initialized");
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
    set_sink(sink, sink_ctx);
    // Loop signalling needs every SIP socket visible to libuv at first;
    // a resolver or STUN client would add sockets it cannot see.
    const unsigned configured_threads = config.uaConfig.threadCnt;
    lib->loop_signalling = loop_signalling_requested(configured_threads) &&
                           config.uaConfig.nameserver.empty() &&
                           config.uaConfig.stunServer.empty();
    if (lib->loop_signalling) config.uaConfig.threadCnt = 0;
    lib->endpoint.libInit(config);
    config.uaConfig.threadCnt = configured_threads;
    // Servers have no sound card: pjsua's null device drives the bridge.
    lib->endpoint.audDevManager().setNullDev();
    install_call_handlers();
    register_transport_gate();
    register_hygiene_modules();
    register_admission_module();
    register_answer_headers_module();
    register_held_requests_module();
    {
      JsonDocument doc;
      config.logConfig.writer = nullptr;
      doc.writeObject(config);
      lib->config_json = doc.saveString();
    }
    lib->clock_rate = config.medConfig.clockRate;
    lib->channel_count = config.medConfig.channelCount;
    lib->frame_ptime = config.medConfig.audioFramePtime;
    g_library.store(lib, std::memory_order_release);
  });
  if (rc != 0 && lib) {
    quietly([&] { lib->endpoint.libDestroy(); });
    set_sink(nullptr, nullptr);
    delete lib;
  }
  return rc;
}

void sipster_set_options(uint32_t media_timeout_ms, int admission_guard) {
  set_media_timeout_ms(media_timeout_ms);
  set_admission_guard(admission_guard != 0);
}

int sipster_lib_attach_loop(sipster_poll_runner run_poll, void *napi_env) {
  Library *lib = current_library();
  if (!lib || !lib->loop_signalling || !run_poll || !napi_env) return 0;
  return loop_signalling_attach(run_poll, napi_env) ? 1 : 0;
}

void sipster_loop_poll(void) { loop_signalling_poll(); }

int sipster_lib_start(sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "start", [&] {
    Endpoint &endpoint = current_library()->endpoint;
    if (endpoint.libGetState() == PJSUA_STATE_RUNNING)
      fail(PJ_EINVALIDOP, "the library is already started");
    endpoint.libStart();
    start_media_watch();
  });
}

int sipster_lib_destroy(sipster_error *err) {
  std::lock_guard<std::mutex> guard(g_library_mutex);
  Library *lib = current_library();
  if (!lib) return 0;
  ensure_thread_registered();
  loop_signalling_detach();
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
    release_all_held_requests();
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
    clear_transport_gates();
  });
  g_library.store(nullptr, std::memory_order_release);
  set_sink(nullptr, nullptr);
  quietly([&] { delete lib; });
  return rc;
}

int32_t sipster_lib_state(void) {
  Library *lib = current_library();
  return lib ? lib->endpoint.libGetState() : -1;
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

void sipster_build_info_get(sipster_build_info *out) {
  out->built_against = PJ_VERSION;
  out->ioqueue = pj_ioqueue_name();
  out->max_calls = PJSUA_MAX_CALLS;
  out->max_conf_ports = PJSUA_MAX_CONF_PORTS;
  out->ioqueue_max_handles = PJ_IOQUEUE_MAX_HANDLES;
  out->has_tls = (PJ_HAS_SSL_SOCK && PJSIP_HAS_TLS_TRANSPORT) ? 1 : 0;
  out->has_srtp = PJMEDIA_HAS_SRTP ? 1 : 0;
}

int sipster_lib_config(char **json_out, sipster_error *err) {
  *json_out = nullptr;
  if (!library_ready(err)) return err->status;
  *json_out = dup_string(current_library()->config_json);
  return 0;
}

uint32_t sipster_media_active_ports(void) {
  if (!current_library()) return 0;
  ensure_thread_registered();
  return pjsua_conf_get_active_ports();
}

uint32_t sipster_media_max_ports(void) {
  if (!current_library()) return 0;
  ensure_thread_registered();
  return pjsua_conf_get_max_ports();
}

uint32_t sipster_media_clock_rate(void) { return bridge_clock_rate(); }

uint32_t sipster_max_calls(void) {
  if (!current_library()) return 0;
  ensure_thread_registered();
  return pjsua_call_get_max_count();
}

uint32_t sipster_call_count(void) {
  if (!current_library()) return 0;
  ensure_thread_registered();
  return pjsua_call_get_count();
}

int sipster_codecs(sipster_constant_visitor visit, void *ctx, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "codecs", [&] {
    CodecInfoVector2 codecs = current_library()->endpoint.codecEnum2();
    // pjmedia lists them in priority order already; keep it, stably.
    std::stable_sort(codecs.begin(), codecs.end(), [](const CodecInfo &a, const CodecInfo &b) {
      return a.priority > b.priority;
    });
    for (const auto &codec : codecs) visit(ctx, codec.codecId.c_str(), codec.priority);
  });
}

int sipster_codec_set_priority(const char *id_prefix, uint8_t priority, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "setCodecPriority", [&] {
    std::string prefix = nonnull(id_prefix);
    pj_str_t id = pj_str(const_cast<char *>(prefix.c_str()));
    pj_status_t status = pjsua_codec_set_priority(&id, priority);
    if (status == PJ_ENOTFOUND) fail(status, "no codec id starts with '" + prefix + "'");
    if (status != PJ_SUCCESS) fail(status, "pjsua_codec_set_priority");
  });
}

int sipster_hangup_all_calls(sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "hangupAllCalls", [&] { current_library()->endpoint.hangupAllCalls(); });
}

}  // extern "C"
