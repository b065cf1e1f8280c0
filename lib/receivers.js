'use strict';

// Objects that receive events, by key: accounts, calls whose dialog is up,
// players. A call leaves this map when it is disconnected, a player when it
// is closed, an account when it is deleted.
const receivers = new Map();

module.exports = { receivers };
