// Headers of earlier answers.
//
// pjsip builds each answer to an INVITE from the previous one (the 180's
// message becomes the 200), so headers the application gave an earlier
// answer would go out again, twice if it gives them again. While the shim
// answers, this hook removes them from the response before it is printed:
// the first `count` headers of each name, which are the ones appended by
// earlier answers (the new ones come after them). Counts go down as headers
// are removed, so a second pass over the same message removes nothing.
#include "library.h"

namespace sipster_shim {
namespace {

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

pjsip_module g_answer_headers_module;

}  // namespace

// Runs an operation that may send a response to the INVITE (answer, or
// hangup of a call not yet answered) with the earlier answers' headers
// marked for removal, then notes what the next such response must remove:
// this one's headers, and any earlier ones the hook did not see (pjsua may
// send an answer later, from its own thread, when the media transport is
// not ready yet).
void with_answer_headers(HeaderCounts &answer_headers, const pj::CallOpParam &prm,
                         const std::function<void()> &send) {
  HeaderCounts earlier = answer_headers;
  t_earlier_answer_headers = &earlier;
  struct Reset {
    ~Reset() { t_earlier_answer_headers = nullptr; }
  } reset;
  send();
  HeaderCounts remaining;
  for (const auto &entry : earlier)
    if (entry.second > 0) remaining[entry.first] += entry.second;
  for (const auto &header : prm.txOption.headers) ++remaining[header.hName];
  answer_headers.swap(remaining);
}

void register_answer_headers_module() {
  // Outgoing messages pass the modules from the highest priority number
  // down: this one sees a response before the transport layer prints it.
  register_module(g_answer_headers_module, "mod-sipster-answer-headers",
                  PJSIP_MOD_PRIORITY_APPLICATION, nullptr, nullptr, &answer_headers_on_tx);
}

}  // namespace sipster_shim
