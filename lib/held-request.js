'use strict';

const native = require('./native');
const { check, stateError, valueError } = require('./errors');

// A REFER, or an INVITE with Replaces, that pjsip holds until the
// application calls accept() or reject() (pjsip-sys/shim/held_requests.cpp).
// One left undecided is declined after 30 s: its sender gives up at 32 s.
const HELD_REQUEST_TIMEOUT_MS = 30000;

// Declines a held request nobody is there to decide on.
function declineHeld(token) {
  try {
    native.decideRequest(token, 603);
  } catch {
    // Already answered: its call ended meanwhile.
  }
}

// `adopt` makes the JS Call of the new call's handle.
function heldRequest(token, fields, acceptStatus, adopt) {
  let decided = false;
  const decide = (statusCode) => {
    if (decided) throw stateError('the request has been answered already');
    decided = true;
    clearTimeout(timer);
    return native.decideRequest(token, statusCode);
  };
  const timer = setTimeout(() => {
    if (!decided) {
      decided = true;
      declineHeld(token);
    }
  }, HELD_REQUEST_TIMEOUT_MS);
  timer.unref();
  return {
    ...fields,
    // Answers 2xx and returns the new Call.
    accept() {
      return adopt(decide(acceptStatus));
    },
    reject(statusCode = 603) {
      check('statusCode', statusCode, 'integer');
      if (statusCode < 300 || statusCode > 699) {
        throw valueError(`statusCode must be a final error status (300 to 699), got ${statusCode}`);
      }
      decide(statusCode);
    },
  };
}

module.exports = { heldRequest, declineHeld };
