'use strict';

// The addon, built by `napi build` into the package's root.
const path = require('node:path');

module.exports = require(path.join(__dirname, '..', 'sipster.node'));
