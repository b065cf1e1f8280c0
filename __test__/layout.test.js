'use strict';

// Rules of the source tree that the compilers do not check by themselves:
// every `unsafe` lives in pjsip-sys (src/ denies it, and nothing may allow
// it back), event delivery depends on the classes and never the reverse,
// and no source file grows past 800 lines.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const MAX_LINES = 800;

function sources(dir, extensions) {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext)))
    .map((entry) => path.join(dir, entry.name));
}

const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');

test('src/ has no unsafe code and no way to allow it', () => {
  const lib = read('src/lib.rs');
  assert.match(lib, /^#!\[deny\(unsafe_code\)\]$/m);
  for (const file of sources('src', ['.rs'])) {
    const text = read(file)
      .split('\n')
      .filter((line) => !line.trim().startsWith('//'))
      .join('\n');
    assert.doesNotMatch(text, /allow\(unsafe_code\)/, file);
    assert.doesNotMatch(text, /\bunsafe\s*(\{|fn|impl)/, file);
  }
});

// `forbid` where no #[napi] expands: its generated registration carries an
// `allow(unsafe_code)` that `forbid` rejects (see src/lib.rs).
test('src/ modules without #[napi] forbid unsafe code', () => {
  const plain = sources('src', ['.rs']).filter((file) => !/#\[napi/.test(read(file)));
  assert.ok(plain.length >= 6, `modules without #[napi]: ${plain.join(', ')}`);
  for (const file of plain) assert.match(read(file), /^#!\[forbid\(unsafe_code\)\]$/m, file);
});

test('event delivery sits on top: no class module imports bridge.rs or library.rs', () => {
  for (const file of ['account', 'call', 'media', 'transport', 'audio', 'keepalive', 'owned', 'wav', 'error', 'config']) {
    const text = read(`src/${file}.rs`);
    assert.doesNotMatch(text, /crate::(bridge|library)\b/, `src/${file}.rs`);
  }
});

test(`no source file is longer than ${MAX_LINES} lines`, () => {
  const files = [
    ...sources('src', ['.rs']),
    ...sources('pjsip-sys/src', ['.rs']),
    ...sources('pjsip-sys/shim', ['.cpp', '.h']),
    ...sources('.', ['.js']),
    ...sources('lib', ['.js']),
  ];
  const long = files
    .map((file) => [file, read(file).split('\n').length])
    .filter(([, lines]) => lines > MAX_LINES);
  assert.deepStrictEqual(long, []);
});

test('the bench, the examples and the shared harness import nothing from __test__/', () => {
  const trees = ['bench', 'examples', 'harness', 'harness/sipp'];
  for (const dir of trees) {
    for (const file of sources(dir, ['.js'])) {
      assert.doesNotMatch(read(file), /(require|path\.join)\([^)]*(__test__|helpers\/)/, file);
    }
  }
});
