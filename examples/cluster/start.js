'use strict';

// Starts a sipster cluster on this host: Kamailio on --port, in front of
// --workers sipster processes on the ports after it, spread by Kamailio's
// dispatcher (kamailio.cfg.template; see README.md in this folder).
//
//   node examples/cluster/start.js --port 5060 --workers 3
//
// Prints one JSON line when Kamailio and every worker answer OPTIONS:
//   {"ready":true,"port":5060,"workers":[pid,...],"kamailio":pid}
// SIGTERM or SIGINT stops Kamailio and the workers (within 10 s).

const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5060' },
    workers: { type: 'string', default: '2' },
    'worker-ports': { type: 'string' }, // comma-separated; default: port+1 ...
    kamailio: { type: 'string', default: process.env.KAMAILIO || 'kamailio' },
    verbose: { type: 'boolean', default: false },
  },
});
const host = values.host;
const port = Number(values.port);
const count = Number(values.workers);
const workerPorts = values['worker-ports']
  ? values['worker-ports'].split(',').map(Number)
  : Array.from({ length: count }, (_, i) => port + 1 + i);
if (!Number.isInteger(port) || !(count >= 1) || workerPorts.length !== count || workerPorts.some((p) => !Number.isInteger(p))) {
  console.error('usage: start.js --port P --workers N [--worker-ports p1,p2,...] [--host 127.0.0.1]');
  process.exit(2);
}

const STOP_LIMIT_MS = 10000;
const READY_LIMIT_MS = 20000;
const children = [];
let stopping = false;

function log(line) {
  if (values.verbose) process.stderr.write(`[cluster] ${line}\n`);
}

function run(name, command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => {
    if (values.verbose) process.stderr.write(`[${name}] ${d}`);
  });
  child.on('exit', (code, signal) => {
    log(`${name} exited (${code ?? signal})`);
    if (!stopping && name === 'kamailio') stop(1);
  });
  children.push({ name, child });
  return child;
}

// Kamailio's config: the template with this cluster's fields.
function writeConfig(dir) {
  const list = path.join(dir, 'dispatcher.list');
  fs.writeFileSync(list, workerPorts.map((p) => `1 sip:${host}:${p} 0 0\n`).join(''));
  const fields = {
    HOST: host,
    PORT: String(port),
    DISPATCHER_LIST: list,
    CHILDREN: '4',
    PING_INTERVAL: '1',
    FR_TIMER_MS: '2000',
    LOG_LEVEL: values.verbose ? '2' : '0',
  };
  const template = fs.readFileSync(path.join(__dirname, 'kamailio.cfg.template'), 'utf8');
  const cfg = template.replace(/\$\{(\w+)\}/g, (all, key) => fields[key] ?? all);
  const file = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(file, cfg);
  return file;
}

// Resolves when `targetPort` answers an OPTIONS with 200; retries every
// 200 ms until the deadline.
function answersOptions(targetPort, deadline) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    let n = 0;
    const send = () => {
      if (Date.now() > deadline) {
        finish(new Error(`${host}:${targetPort} did not answer OPTIONS`));
        return;
      }
      const { port: localPort } = sock.address();
      n += 1;
      const msg = [
        `OPTIONS sip:${host}:${targetPort} SIP/2.0`,
        `Via: SIP/2.0/UDP ${host}:${localPort};branch=z9hG4bK-ready-${process.pid}-${targetPort}-${n};rport`,
        'Max-Forwards: 70',
        `From: <sip:start@${host}:${localPort}>;tag=ready-${n}`,
        `To: <sip:${host}:${targetPort}>`,
        `Call-ID: ready-${process.pid}-${targetPort}-${n}@${host}`,
        `CSeq: ${n} OPTIONS`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(msg, targetPort, host);
    };
    const timer = setInterval(send, 200);
    sock.on('message', (buf) => {
      if (/^SIP\/2\.0 200 /.test(buf.toString('latin1'))) finish();
    });
    sock.bind(0, host, send);
    function finish(err) {
      clearInterval(timer);
      sock.close();
      if (err) reject(err);
      else resolve();
    }
  });
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping');
  const alive = children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  for (const { child } of alive) child.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const { child } of alive) child.kill('SIGKILL');
  }, STOP_LIMIT_MS - 1000);
  Promise.all(alive.map(({ child }) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', resolve);
  }))).then(() => {
    clearTimeout(killer);
    process.exit(code);
  });
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-cluster-'));
  const cfg = writeConfig(dir);
  const workers = workerPorts.map((p) => run(`worker:${p}`, process.execPath, [path.join(__dirname, 'worker.js'), '--host', host, '--port', String(p)]));
  // -DD: stay in the foreground, -E: log to stderr.
  const kamailio = run('kamailio', values.kamailio, ['-f', cfg, '-DD', '-E', '-Y', dir]);
  const deadline = Date.now() + READY_LIMIT_MS;
  try {
    await Promise.all([port, ...workerPorts].map((p) => answersOptions(p, deadline)));
  } catch (err) {
    console.error(`start.js: ${err.message}`);
    stop(1);
    return;
  }
  console.log(JSON.stringify({ ready: true, port, workers: workers.map((w) => w.pid), kamailio: kamailio.pid }));
}

main();
