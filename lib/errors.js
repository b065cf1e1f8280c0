'use strict';

// Argument checks and the errors sipster throws, shaped as Node's own:
// TypeError with ERR_INVALID_ARG_TYPE (wrong type) or ERR_INVALID_ARG_VALUE
// (right type, wrong value); Error with ERR_SIPSTER_STATE for a call made
// in the wrong state.

const native = require('./native');

function typeError(message) {
  const err = new TypeError(message);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function check(name, value, type, { optional = false } = {}) {
  if (value === undefined && optional) return;
  if (type === 'integer') {
    if (!Number.isInteger(value)) throw typeError(`${name} must be an integer, got ${describe(value)}`);
    return;
  }
  if (type === 'object') {
    if (value === null && optional) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw typeError(`${name} must be an object, got ${describe(value)}`);
    }
    return;
  }
  if (typeof value !== type) throw typeError(`${name} must be a ${type}, got ${describe(value)}`);
}

function valueError(message) {
  const err = new TypeError(message);
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

// PJ_EINVALIDOP from the installed headers, read from the addon once.
let invalidOperation;

function stateError(message) {
  const err = new Error(message);
  err.code = 'ERR_SIPSTER_STATE';
  invalidOperation ??= native.constants().PJ_EINVALIDOP;
  err.status = invalidOperation;
  return err;
}

function checkHeaders(name, options) {
  check(name, options, 'object', { optional: true });
  if (!options || options.headers === undefined) return;
  check(`${name}.headers`, options.headers, 'object');
  for (const [key, value] of Object.entries(options.headers)) {
    check(`${name}.headers['${key}']`, value, 'string');
  }
}

function checkChoice(name, value, choices) {
  if (typeof value !== 'number') throw typeError(`${name} must be a number, got ${describe(value)}`);
  if (!choices.includes(value)) {
    throw valueError(`${name} must be one of ${choices.join(', ')}, got ${value}`);
  }
}

module.exports = { typeError, valueError, stateError, describe, check, checkHeaders, checkChoice };
