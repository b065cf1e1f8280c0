// The media inactivity timeout.
//
// pjsua2 has none: a peer that vanishes without BYE is otherwise noticed only
// by session timers. A timer on pjsua's worker thread hangs up a confirmed
// call whose active, receiving audio got no RTP for the configured time.
#include "library.h"

namespace sipster_shim {
namespace {

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

}  // namespace

bool take_timed_out(const std::string &call_id) {
  std::lock_guard<std::mutex> lock(g_timed_out_mutex);
  return g_timed_out.erase(call_id) > 0;
}

namespace {

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

}  // namespace

void set_media_timeout_ms(unsigned timeout_ms) { g_media_timeout_ms.store(timeout_ms); }

void start_media_watch() { pjsua_schedule_timer2(&media_watch_tick, nullptr, kMediaWatchTickMs); }

}  // namespace sipster_shim
