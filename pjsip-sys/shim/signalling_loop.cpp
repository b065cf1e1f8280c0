// pjsip's signalling on Node's own thread: the default on Linux when the
// library is initialised on Node's main thread (SIPSTER_SIGNALLING=threads,
// or uaConfig.threadCnt above 1, keeps pjsua's worker threads instead).
//
// pjsua then runs no worker thread. libuv watches each UDP SIP socket; when
// one is readable (or a pjsip timer is due) the poll runs right there, in
// libuv's callback: pjsua_handle_events(0), and then the JS handlers of the
// events it raised, on the same thread, as in a pjsua2 Python UAS that polls
// libHandleEvents(). libuv's callbacks are no place to call JS by
// themselves: pjsip's work runs with no N-API at all, and only when it
// raised events does their delivery run inside an N-API handle scope and
// callback scope (microtasks run when it closes; a handler's exception is
// reported as uncaught), as Node's own callbacks do. A uv timer follows
// pjsip's timer heap; it wakes at least every kSafetyNetMs, which also
// services any socket of pjsip's ioqueue that is not watched here. Media
// keeps its own ioqueue and thread (MediaConfig.hasIoqueue).
//
// What libuv cannot see falls back to a worker thread of ours, started the
// first time it is needed: TCP and TLS connections (their descriptors are
// pjsip's), and ICE/TURN, DNS and STUN sockets.
//
// libuv and Node-API are reached without their headers: the few functions
// used are declared below, with opaque handles (libuv's sized by
// uv_handle_size() at run time). libuv's ABI (these signatures, the handle
// type numbers, UV_READABLE) is stable within 1.x, Node-API's is stable by
// design, and the symbols come from the node binary that loads the addon.
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "library.h"

extern "C" {
typedef struct uv_loop_s uv_loop_t;
uv_loop_t *uv_default_loop(void);
typedef struct sipster_uv_handle uv_handle;  // any handle type, opaque
typedef void (*uv_plain_cb)(uv_handle *);
typedef void (*uv_poll_cb)(uv_handle *, int status, int events);
size_t uv_handle_size(int type);
int uv_poll_init(uv_loop_t *loop, uv_handle *poll, int fd);
int uv_poll_start(uv_handle *poll, int events, uv_poll_cb cb);
int uv_poll_stop(uv_handle *poll);
int uv_timer_init(uv_loop_t *loop, uv_handle *timer);
int uv_timer_start(uv_handle *timer, uv_plain_cb cb, uint64_t timeout, uint64_t repeat);
int uv_timer_stop(uv_handle *timer);
int uv_prepare_init(uv_loop_t *loop, uv_handle *prepare);
int uv_prepare_start(uv_handle *prepare, uv_plain_cb cb);
int uv_prepare_stop(uv_handle *prepare);
void uv_unref(uv_handle *handle);
int uv_is_closing(const uv_handle *handle);
void uv_close(uv_handle *handle, uv_plain_cb close_cb);

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_handle_scope__ *napi_handle_scope;
typedef struct napi_callback_scope__ *napi_callback_scope;
typedef struct napi_async_context__ *napi_async_context;
typedef struct napi_ref__ *napi_ref;
typedef int napi_status;  // an enum; napi_ok is 0
napi_status napi_open_handle_scope(napi_env env, napi_handle_scope *result);
napi_status napi_close_handle_scope(napi_env env, napi_handle_scope scope);
napi_status napi_create_object(napi_env env, napi_value *result);
napi_status napi_create_reference(napi_env env, napi_value value, uint32_t initial_refcount,
                                  napi_ref *result);
napi_status napi_delete_reference(napi_env env, napi_ref ref);
napi_status napi_get_reference_value(napi_env env, napi_ref ref, napi_value *result);
napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
napi_status napi_async_init(napi_env env, napi_value async_resource, napi_value async_resource_name,
                            napi_async_context *result);
napi_status napi_async_destroy(napi_env env, napi_async_context async_context);
napi_status napi_open_callback_scope(napi_env env, napi_value resource_object,
                                     napi_async_context context, napi_callback_scope *result);
napi_status napi_close_callback_scope(napi_env env, napi_callback_scope scope);
napi_status napi_is_exception_pending(napi_env env, bool *result);
napi_status napi_get_and_clear_last_exception(napi_env env, napi_value *result);
napi_status napi_fatal_exception(napi_env env, napi_value err);
}

namespace sipster_shim {
namespace {

// From uv.h: uv_handle_type (UV_HANDLE_TYPE_MAP order) and uv_poll_event.
constexpr int kUvPoll = 8, kUvPrepare = 9, kUvTimer = 13;
constexpr int kUvReadable = 1;
constexpr uint64_t kSafetyNetMs = 100;

uv_loop_t *g_loop = nullptr;  // set: signalling runs on this loop
uv_handle *g_timer = nullptr;
uv_handle *g_prepare = nullptr;
std::map<int, uv_handle *> g_polls;  // loop thread only
std::thread g_fallback_worker;
std::atomic<bool> g_fallback_stop{false};

// The owner's poll (Rust: pjsip's events, then their JS handlers), and the
// N-API environment, async context and resource object it runs in (one
// resource for all deliveries, as an AsyncResource has). Loop thread only.
sipster_poll_runner g_run_poll = nullptr;
napi_env g_env = nullptr;
napi_async_context g_async = nullptr;
napi_ref g_resource = nullptr;
bool g_polling = false;
bool g_async_orphaned = false;  // detached while polling: destroyed after it

// Runs the owner's poll: pjsip's work first, with no N-API at all (most
// timer wake-ups raise no event); then, only if it raised events, their
// delivery as Node runs a callback of its own: in a handle scope and a
// callback scope, reporting an exception left pending. A handler may shut
// the library down (detach) meanwhile: what is used after it is held here.
void run_poll() {
  if (g_polling || !g_run_poll) return;
  g_polling = true;
  napi_env env = g_env;
  napi_async_context async = g_async;
  napi_ref resource_ref = g_resource;
  bool deliver = g_run_poll(SIPSTER_POLL_PJSIP) != 0;
  while (deliver && g_run_poll) {
    deliver = false;
    napi_handle_scope handles;
    if (napi_open_handle_scope(env, &handles) != 0) break;
    napi_value resource = nullptr;
    napi_callback_scope scope;
    if (napi_get_reference_value(env, resource_ref, &resource) == 0 &&
        napi_open_callback_scope(env, resource, async, &scope) == 0) {
      deliver = g_run_poll(SIPSTER_POLL_DELIVER) != 0;
      bool pending = false;
      napi_value error;
      if (napi_is_exception_pending(env, &pending) == 0 && pending &&
          napi_get_and_clear_last_exception(env, &error) == 0)
        napi_fatal_exception(env, error);
      napi_close_callback_scope(env, scope);
    }
    napi_close_handle_scope(env, handles);
  }
  g_polling = false;
  if (g_async_orphaned) {
    napi_async_destroy(env, async);
    napi_delete_reference(env, resource_ref);
    g_async_orphaned = false;
  }
}

void on_readable(uv_handle *, int, int) { run_poll(); }
void on_timer(uv_handle *) { run_poll(); }

// Right before libuv blocks: wake for pjsip's next timer. Timers that other
// threads schedule meanwhile are met by the safety net.
void on_prepare(uv_handle *) {
  if (!current_library()) return;
  uint64_t delay = kSafetyNetMs;
  pj_time_val next, now;
  if (pj_timer_heap_earliest_time(pjsip_endpt_get_timer_heap(pjsua_get_pjsip_endpt()), &next) ==
      PJ_SUCCESS) {
    pj_gettickcount(&now);
    PJ_TIME_VAL_SUB(next, now);
    long ms = PJ_TIME_VAL_MSEC(next);
    if (ms <= 0) delay = 0;
    else if (static_cast<uint64_t>(ms) < delay) delay = static_cast<uint64_t>(ms);
  }
  uv_timer_start(g_timer, on_timer, delay, 0);
}

void free_handle(uv_handle *handle) { std::free(handle); }

uv_handle *new_handle(int type) {
  return static_cast<uv_handle *>(std::calloc(1, uv_handle_size(type)));
}

void close_handle(uv_handle *handle) {
  if (!uv_is_closing(handle)) uv_close(handle, free_handle);
}

// The socket of family `family` bound to `port`, or -1.
int find_udp_socket(int family, unsigned port) {
  const int limit = 65536;
  for (int fd = 0; fd < limit; fd++) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0) continue;
    if (ss.ss_family != family) continue;
    int type = 0;
    socklen_t type_len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_DGRAM) continue;
    unsigned bound = family == AF_INET
                         ? ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port)
                         : ntohs(reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
    if (bound == port) return fd;
  }
  return -1;
}

}  // namespace

bool loop_signalling_requested(unsigned thread_count) {
  // The default; SIPSTER_SIGNALLING=threads, or more than one pjsua worker
  // thread asked for (uaConfig.threadCnt), keeps pjsua's worker threads.
  const char *v = std::getenv("SIPSTER_SIGNALLING");
  if ((v && std::strcmp(v, "threads") == 0) || thread_count > 1) return false;
#ifdef __linux__
  // Node's main thread runs libuv's default loop; a worker thread has its own.
  return syscall(SYS_gettid) == getpid();
#else
  return false;
#endif
}

bool loop_signalling_active() { return g_loop != nullptr; }

bool loop_signalling_attach(sipster_poll_runner run_poll, void *env_ptr) {
  if (g_loop) return true;
  napi_env env = static_cast<napi_env>(env_ptr);
  napi_handle_scope handles;
  if (napi_open_handle_scope(env, &handles) != 0) return false;
  napi_value resource = nullptr, name = nullptr;
  bool ok = napi_create_object(env, &resource) == 0 &&
            napi_create_string_utf8(env, "sipster.signalling", SIZE_MAX, &name) == 0 &&
            napi_create_reference(env, resource, 1, &g_resource) == 0 &&
            napi_async_init(env, resource, name, &g_async) == 0;
  napi_close_handle_scope(env, handles);
  if (!ok) {
    if (g_resource) napi_delete_reference(env, g_resource);
    g_resource = nullptr;
    return false;
  }
  g_env = env;
  g_run_poll = run_poll;
  g_loop = uv_default_loop();
  // Unreferenced: signalling alone never keeps Node running (ref() does).
  g_timer = new_handle(kUvTimer);
  uv_timer_init(g_loop, g_timer);
  uv_unref(g_timer);
  g_prepare = new_handle(kUvPrepare);
  uv_prepare_init(g_loop, g_prepare);
  uv_prepare_start(g_prepare, on_prepare);
  uv_unref(g_prepare);
  return true;
}

int loop_signalling_watch_udp(const pjsua_transport_info &info) {
  if (!g_loop) return -1;
  int family = info.local_addr.addr.sa_family;
  int fd = find_udp_socket(family, pj_sockaddr_get_port(&info.local_addr));
  if (fd < 0 || g_polls.count(fd)) return -1;
  uv_handle *poll = new_handle(kUvPoll);
  if (uv_poll_init(g_loop, poll, fd) != 0) {
    std::free(poll);
    return -1;
  }
  uv_poll_start(poll, kUvReadable, on_readable);
  uv_unref(poll);
  g_polls[fd] = poll;
  return fd;
}

// Before pjsip closes the socket: libuv must not watch a reused descriptor.
void loop_signalling_unwatch(int fd) {
  auto it = g_polls.find(fd);
  if (it == g_polls.end()) return;
  uv_poll_stop(it->second);
  close_handle(it->second);
  g_polls.erase(it);
}

void loop_signalling_need_worker() {
  if (!g_loop || g_fallback_worker.joinable()) return;
  g_fallback_stop.store(false);
  g_fallback_worker = std::thread([] {
#ifdef __linux__
    pthread_setname_np(pthread_self(), "sipster-signal");
#endif
    ensure_thread_registered();
    while (!g_fallback_stop.load()) pjsua_handle_events(10);
  });
}

void loop_signalling_detach() {
  if (!g_loop) return;
  if (g_fallback_worker.joinable()) {
    g_fallback_stop.store(true);
    g_fallback_worker.join();
  }
  while (!g_polls.empty()) loop_signalling_unwatch(g_polls.begin()->first);
  uv_timer_stop(g_timer);
  uv_prepare_stop(g_prepare);
  close_handle(g_timer);
  close_handle(g_prepare);
  g_timer = nullptr;
  g_prepare = nullptr;
  g_loop = nullptr;
  g_run_poll = nullptr;
  if (g_polling) {
    g_async_orphaned = true;
  } else {
    if (g_async) napi_async_destroy(g_env, g_async);
    if (g_resource) napi_delete_reference(g_env, g_resource);
  }
  g_async = nullptr;
  g_resource = nullptr;
  g_env = nullptr;
}

// One pass per wake-up: libuv's poll is level-triggered, so a socket with
// more waiting wakes the loop again, and on_prepare wakes it at once for
// timers still due. (A second pass to find nothing would cost a select.)
void loop_signalling_poll() {
  if (!g_loop || !current_library()) return;
  pjsua_handle_events(0);
}

}  // namespace sipster_shim
