// Internal to the shim: the native account (account.cpp).
#ifndef SIPSTER_SHIM_ACCOUNT_H
#define SIPSTER_SHIM_ACCOUNT_H

#include "library.h"

namespace sipster_shim {

// Registration, incoming calls and MESSAGEs as events; an incoming call becomes a
// ShimCall handed to the owning thread with the event.
class ShimAccount : public pj::Account {
 public:
  explicit ShimAccount(uint64_t key) : key(key) {}
  const uint64_t key;
  // SIPSTER_ACCOUNT_INTEREST_* bits of the events the owner wants.
  std::atomic<uint32_t> interest{0};

  void onRegStarted(pj::OnRegStartedParam &prm) override;
  void onRegState(pj::OnRegStateParam &prm) override;
  void onIncomingCall(pj::OnIncomingCallParam &prm) override;
  void onInstantMessage(pj::OnInstantMessageParam &prm) override;
  void onInstantMessageStatus(pj::OnInstantMessageStatusParam &prm) override;
};

}  // namespace sipster_shim

struct sipster_account {
  sipster_shim::ShimAccount *account;
};

#endif  // SIPSTER_SHIM_ACCOUNT_H
