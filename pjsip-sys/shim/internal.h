// Internal to the shim's C++ files: the error and thread helpers every
// entry point uses. Not part of the C ABI (see sipster.h for that).
#ifndef SIPSTER_SHIM_INTERNAL_H
#define SIPSTER_SHIM_INTERNAL_H

#include <pjsua2.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include "sipster.h"

namespace sipster_shim {

inline int set_error(sipster_error *err, int status, const std::string &what) {
  if (status == 0) status = PJ_EUNKNOWN;
  if (err) {
    err->status = status;
    std::snprintf(err->message, sizeof err->message, "%s", what.c_str());
  }
  return status;
}

inline int error_from_pj(sipster_error *err, const char *op, pj_status_t status) {
  char buf[160];
  pj_strerror(status, buf, sizeof buf);
  return set_error(err, status, std::string(op) + ": " + buf);
}

// pjlib asserts when an unknown thread calls it, so every entry point
// registers its thread first (the descriptor must outlive the thread).
inline void ensure_thread_registered() {
  if (!pj_thread_is_registered()) {
    static thread_local pj_thread_desc desc;
    static thread_local pj_thread_t *thread;
    std::memset(desc, 0, sizeof desc);
    pj_thread_register("sipster-ext", desc, &thread);
  }
}

// An error raised by the shim itself (pjsua2 raises pj::Error).
struct ShimError {
  pj_status_t status;
  std::string message;
};

[[noreturn]] inline void fail(pj_status_t status, const std::string &message) {
  throw ShimError{status, message};
}

// Runs `body` and turns any exception into an error status: the one place
// where C++ exceptions stop.
template <typename F>
int guarded(sipster_error *err, const char *op, F &&body) {
  if (err) {
    err->status = 0;
    err->message[0] = '\0';
  }
  try {
    body();
    return 0;
  } catch (const ShimError &e) {
    return set_error(err, e.status, std::string(op) + ": " + e.message);
  } catch (const pj::Error &e) {
    std::string reason = e.reason.empty() ? e.info() : e.reason;
    return set_error(err, e.status, std::string(op) + ": " + reason);
  } catch (const std::exception &e) {
    return set_error(err, PJ_EUNKNOWN, std::string(op) + ": " + e.what());
  } catch (...) {
    return set_error(err, PJ_EUNKNOWN, std::string(op) + ": unknown C++ exception");
  }
}

// Same for functions that report nothing: exceptions are swallowed. Every
// pjsua2 callback body runs inside it, since pjsip calls them from C.
template <typename F>
void quietly(F &&body) {
  try {
    body();
  } catch (...) {
  }
}

// False (with `err` set) until init() and after shutdown(); registers the
// calling thread otherwise.
bool library_ready(sipster_error *err);

// Media clock parameters of the running library (the bridge's format).
unsigned bridge_clock_rate();

// Releases every PCM port still in the bridge; shutdown calls it before
// libDestroy. Handles stay valid and become inert.
void pcm_ports_release_all();

}  // namespace sipster_shim

#endif  // SIPSTER_SHIM_INTERNAL_H
