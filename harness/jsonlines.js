'use strict';

// Calls `onLine` with each complete line (without its newline) that a child
// process writes to `stream`.
function readLines(stream, onLine) {
  let buffer = '';
  stream.setEncoding('utf8').on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      onLine(line);
    }
  });
}

// Calls `onMessage` with each JSON line (a line starting with '{') that a
// child process writes to `stream`; other lines are ignored.
function readJsonLines(stream, onMessage) {
  readLines(stream, (line) => {
    if (line.startsWith('{')) onMessage(JSON.parse(line));
  });
}

module.exports = { readLines, readJsonLines };
