// Internal to the shim's C++ files: the library-wide state, the event
// path to the sink, and what each concern (a pjsip module, a class) offers
// the others. Each concern lives in a .cpp file of its own, beside the C
// ABI functions that forward to it.
#ifndef SIPSTER_SHIM_LIBRARY_H
#define SIPSTER_SHIM_LIBRARY_H

#include <pjsua2.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "internal.h"
#include "sipster.h"

struct sipster_transport {
  pj::TransportId id;
  bool enabled;
  int watched_fd;  // the socket libuv watches (loop signalling), or -1
};

namespace sipster_shim {

class ShimCall;
class ShimAccount;

// ---- library-wide state (library.cpp) ----------------------------------------

// Everything that must be released before libDestroy is tracked here; the
// registry's mutex is never held while calling into pjsua2.
struct Library {
  pj::Endpoint endpoint;
  std::string config_json;
  unsigned clock_rate = 16000, channel_count = 1, frame_ptime = 20;
  bool loop_signalling = false;  // pjsip polled on Node's thread (signalling_loop.cpp)
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

// The running library, or null before init and after shutdown. Atomic:
// pjsip's threads read it while the owning thread sets it.
extern std::atomic<Library *> g_library;
inline Library *current_library() { return g_library.load(std::memory_order_acquire); }

// ---- events to the sink (library.cpp) ----------------------------------------

sipster_event make_event(sipster_event_kind kind, uint64_t source);
// Stamps the event and hands it to the sink, if one is set.
void emit(sipster_event &ev);

// ---- signalling on Node's thread (signalling_loop.cpp) -------------------------

// On Node's main thread (Linux), unless SIPSTER_SIGNALLING=threads or more
// than one worker thread (`thread_count`) is asked for.
bool loop_signalling_requested(unsigned thread_count);
bool loop_signalling_active();
// From the thread that initialised the library: watches pjsip on its libuv
// loop, and when there is work calls `run_poll` right there, inside N-API
// scopes opened on `napi_env` (see sipster_lib_attach_loop).
bool loop_signalling_attach(sipster_poll_runner run_poll, void *env_ptr);
void loop_signalling_poll();
// Watches the transport's UDP socket; its descriptor, or -1.
int loop_signalling_watch_udp(const pjsua_transport_info &info);
void loop_signalling_unwatch(int fd);
// Sockets libuv cannot see are serviced by a worker thread from now on.
void loop_signalling_need_worker();
void loop_signalling_detach();

// ---- small helpers (library.cpp) -----------------------------------------------

int64_t monotonic_ns();
char *dup_string(const std::string &s);
inline const char *nonnull(const char *s) { return s ? s : ""; }
void apply_call_op(pj::CallOpParam &prm, const sipster_call_op *op);
// Appends the C ABI's headers to a request or response's options.
void add_headers(pj::SipTxOption &option, const sipster_header *headers, size_t count);

// Registers one of the shim's pjsip modules (pjsip keeps a pointer to it).
void register_module(pjsip_module &module, const char *name, int priority,
                     pj_bool_t (*on_rx_request)(pjsip_rx_data *),
                     pj_bool_t (*on_rx_response)(pjsip_rx_data *) = nullptr,
                     pj_status_t (*on_tx)(pjsip_tx_data *) = nullptr);

// ---- request hygiene and the fallback answer (hygiene.cpp) --------------------

void register_hygiene_modules();

// ---- admission guard (admission.cpp) --------------------------------------------

void register_admission_module();
void set_admission_guard(bool enabled);
// Whether the media ioqueue has room for one more call's sockets.
bool media_headroom();
// A call's media sockets were closed just now.
void note_media_released();

// ---- media inactivity timeout (media_watch.cpp) --------------------------------

void set_media_timeout_ms(unsigned timeout_ms);
// Starts the watch on pjsua's timer (at libStart).
void start_media_watch();
// Whether the call of this Call-ID was hung up for silence (once).
bool take_timed_out(const std::string &call_id);

// ---- transport gate (transport.cpp) ---------------------------------------------

void register_transport_gate();
void clear_transport_gates();

// ---- headers of earlier answers (answer_headers.cpp) ---------------------------

using HeaderCounts = std::map<std::string, int>;
void register_answer_headers_module();
// Runs `send` (an answer, or the hangup of an unanswered call) with the
// headers of earlier answers removed from the response; updates `earlier`.
void with_answer_headers(HeaderCounts &earlier, const pj::CallOpParam &prm,
                         const std::function<void()> &send);

// ---- requests held for the application's decision (held_requests.cpp) ----------

// A decision on a held REFER or Replaces INVITE, carried through pjsua on
// the deciding thread: pjsua's callback for the call `call_key` applies it.
struct HeldDecision {
  uint64_t call_key = 0;
  int status_code = 0;
  uint64_t new_call_key = 0;
  pjsua_acc_id account = PJSUA_INVALID_ID;
  ShimCall *new_call = nullptr;  // set once created for an accepted request
};
void register_held_requests_module();
// The decision being applied on this thread to the call `call_key`, with
// its new call made (and tracked) when it accepts; null when there is none,
// or when an accepted request's account is gone (it is then declined).
HeldDecision *held_decision_ready(uint64_t call_key);
// Declines (603) what is held for a call that has ended.
void decline_held_requests_of(uint64_t call_key);
// Frees whatever is still held (shutdown).
void release_all_held_requests();

}  // namespace sipster_shim

#endif  // SIPSTER_SHIM_LIBRARY_H
