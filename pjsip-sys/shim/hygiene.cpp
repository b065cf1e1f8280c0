// Request hygiene: pjsip modules at both ends of pjsip's pipeline.
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
#include "library.h"

namespace sipster_shim {
namespace {

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

pjsip_module g_hygiene_module, g_fallback_module;

}  // namespace

void register_hygiene_modules() {
  // Before the transaction layer, which a malformed request can abort.
  register_module(g_hygiene_module, "mod-sipster-hygiene", PJSIP_MOD_PRIORITY_TSX_LAYER - 1,
                  &hygiene_on_rx_request);
  // After everything: what nobody handled.
  register_module(g_fallback_module, "mod-sipster-fallback", PJSIP_MOD_PRIORITY_APPLICATION + 32,
                  &fallback_on_rx_request);
}

}  // namespace sipster_shim
