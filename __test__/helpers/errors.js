'use strict';

// What sipster's errors look like, as `assert.throws` expectations: the
// class, the code, and a RegExp (or string) the message must match.
const TYPE = (message) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message });
const VALUE = (message) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message });
const RANGE = (message) => ({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message });
const STATE = (message) => ({ name: 'Error', code: 'ERR_SIPSTER_STATE', message });
const PJSIP = (message) => ({ name: 'Error', code: 'ERR_PJSIP', message });

module.exports = { TYPE, VALUE, RANGE, STATE, PJSIP };
