// The native side of the benchmark: a plain pjsua2 UAS with the settings
// sipster uses, so the two can be compared on the same system pjproject.
//
//   null audio device, medConfig.sndAutoCloseTime = -1, log level 0
//   (level and consoleLevel), one UDP transport on 127.0.0.1, an account
//   sip:uas@127.0.0.1 whose media binds 127.0.0.1, pjsua2's defaults for
//   everything else (one worker thread, maxCalls clamped to PJSUA_MAX_CALLS).
//   Every INVITE is answered 200 inside onIncomingCall. With --record DIR,
//   each call gets a WAV recorder (16-bit PCM, pjsua's recorder) on its
//   audio, deleted with its file when the call is disconnected.
//
// bench/run.js compiles it:
//   g++ -O2 -o native-uas native-uas.cpp $(pkg-config --cflags --libs libpjproject)
//
// Usage: native-uas [--port N] [--record DIR]
// Prints "READY <port>" once listening, then reads commands on stdin:
//   stats -> one JSON line {"answered":..,"confirmed":..,"disconnected":..,"ports":..}
//   quit  -> hangs up, destroys the library, exits 0

#include <pjsua2.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <unistd.h>

using namespace pj;

namespace {

std::atomic<long> g_incoming{0}, g_answered{0}, g_confirmed{0}, g_disconnected{0};
std::atomic<long> g_recorders{0}, g_record_errors{0}, g_seq{0};
std::string g_record_dir;

class UasCall : public Call {
 public:
  UasCall(Account &acc, int call_id) : Call(acc, call_id) {}
  ~UasCall() override { drop_recorder(); }

  void onCallState(OnCallStateParam &) override {
    CallInfo ci = getInfo();
    if (ci.state == PJSIP_INV_STATE_CONFIRMED) {
      g_confirmed++;
    } else if (ci.state == PJSIP_INV_STATE_DISCONNECTED) {
      g_disconnected++;
      drop_recorder();
      delete this;  // allowed by pjsua2 in onCallState(DISCONNECTED)
    }
  }

  void onCallMediaState(OnCallMediaStateParam &) override {
    if (g_record_dir.empty() || recorder_) return;
    CallInfo ci = getInfo();
    for (unsigned i = 0; i < ci.media.size(); i++) {
      if (ci.media[i].type != PJMEDIA_TYPE_AUDIO || ci.media[i].status != PJSUA_CALL_MEDIA_ACTIVE)
        continue;
      try {
        file_ = g_record_dir + "/native-" + std::to_string(getpid()) + "-" +
                std::to_string(++g_seq) + ".wav";
        recorder_ = new AudioMediaRecorder();
        recorder_->createRecorder(file_);
        getAudioMedia(static_cast<int>(i)).startTransmit(*recorder_);
        g_recorders++;
      } catch (Error &) {
        g_record_errors++;
      }
      break;
    }
  }

 private:
  AudioMediaRecorder *recorder_ = nullptr;
  std::string file_;

  void drop_recorder() {
    if (!recorder_) return;
    delete recorder_;
    recorder_ = nullptr;
    unlink(file_.c_str());
  }
};

class UasAccount : public Account {
 public:
  void onIncomingCall(OnIncomingCallParam &iprm) override {
    g_incoming++;
    auto *call = new UasCall(*this, iprm.callId);
    CallOpParam prm;
    prm.statusCode = PJSIP_SC_OK;
    try {
      call->answer(prm);
      g_answered++;
    } catch (Error &) {
      // pjsua hangs the call up; onCallState(DISCONNECTED) deletes it
    }
  }
};

}  // namespace

int main(int argc, char **argv) {
  int port = 0;
  unsigned max_calls = 4;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--port") && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--record") && i + 1 < argc) g_record_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--max-calls") && i + 1 < argc) max_calls = std::atoi(argv[++i]);
  }

  Endpoint ep;
  UasAccount *acc = nullptr;
  pj_log_set_level(0);  // quiet from the start, as sipster
  try {
    ep.libCreate();
    EpConfig cfg;
    cfg.logConfig.level = 0;
    cfg.logConfig.consoleLevel = 0;
    cfg.medConfig.sndAutoCloseTime = -1;
    cfg.uaConfig.maxCalls = max_calls;
    ep.libInit(cfg);
    ep.audDevManager().setNullDev();

    TransportConfig tcfg;
    tcfg.port = port;
    tcfg.boundAddress = "127.0.0.1";
    TransportId tid = ep.transportCreate(PJSIP_TRANSPORT_UDP, tcfg);
    ep.libStart();

    AccountConfig acfg;
    acfg.idUri = "sip:uas@127.0.0.1";
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1";
    acc = new UasAccount();
    acc->create(acfg);

    std::string local = ep.transportGetInfo(tid).localName;  // "127.0.0.1:port"
    std::printf("READY %s\n", local.substr(local.rfind(':') + 1).c_str());
    std::fflush(stdout);
  } catch (Error &e) {
    std::fprintf(stderr, "native-uas: %s\n", e.info().c_str());
    return 1;
  }

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "stats") {
      std::printf(
          "{\"incoming\":%ld,\"answered\":%ld,\"confirmed\":%ld,\"disconnected\":%ld,"
          "\"recorders\":%ld,\"recordErrors\":%ld,\"ports\":%u,\"calls\":%u}\n",
          g_incoming.load(), g_answered.load(), g_confirmed.load(), g_disconnected.load(),
          g_recorders.load(), g_record_errors.load(), ep.mediaActivePorts(),
          pjsua_call_get_count());
      std::fflush(stdout);
    } else if (line == "quit") {
      break;
    }
  }
  try {
    ep.hangupAllCalls();
    delete acc;
    ep.libDestroy();
  } catch (Error &) {
  }
  return 0;
}
