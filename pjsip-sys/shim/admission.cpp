// The admission guard.
//
// Every call holds an RTP and an RTCP socket in the media ioqueue, and a
// closed socket's slot comes back only PJ_IOQUEUE_KEY_FREE_DELAY ms later.
// When calls turn over faster than the ioqueue recycles (about 60 calls/s
// with the stock 64 handles), pjlib asserts in pj_ioqueue_register_sock2.
// So a new INVITE is answered 503 before pjsua allocates any media when the
// sockets of the calls up now, of those closed within the delay, and of
// the new one would not fit.
#include <deque>

#include "library.h"

namespace sipster_shim {
namespace {

std::atomic<bool> g_admission_enabled{true};
constexpr unsigned kSocketsPerCall = 2;
constexpr unsigned kReservedHandles = 2;
std::mutex g_cooling_mutex;
std::deque<int64_t> g_cooling;  // when recent calls released their media

unsigned cooling_calls(int64_t now) {
  const int64_t window = int64_t(PJ_IOQUEUE_KEY_FREE_DELAY + 100) * 1000000;
  std::lock_guard<std::mutex> lock(g_cooling_mutex);
  while (!g_cooling.empty() && now - g_cooling.front() > window) g_cooling.pop_front();
  return static_cast<unsigned>(g_cooling.size());
}

}  // namespace

void note_media_released() {
  std::lock_guard<std::mutex> lock(g_cooling_mutex);
  g_cooling.push_back(monotonic_ns());
}

bool media_headroom() {
  if (!g_admission_enabled.load()) return true;
  unsigned calls = pjsua_call_get_count() + cooling_calls(monotonic_ns()) + 1;
  return calls * kSocketsPerCall + kReservedHandles <= PJ_IOQUEUE_MAX_HANDLES;
}

namespace {

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

pjsip_module g_admission_module;

}  // namespace

void set_admission_guard(bool enabled) { g_admission_enabled.store(enabled); }

void register_admission_module() {
  // After the transaction and dialog layers: only new INVITEs get here.
  register_module(g_admission_module, "mod-sipster-admission", PJSIP_MOD_PRIORITY_APPLICATION - 1,
                  &admission_on_rx_request);
}

}  // namespace sipster_shim
