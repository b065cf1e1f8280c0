# The pjsua2 Python side of the benchmark: the UAS a Python user would write
# with PyPI's pjsua2-python, with the same settings and the same stdin
# protocol as native-uas.cpp, so that the three can be compared in one run.
#
#   null audio device, medConfig.sndAutoCloseTime = -1, log level 0, one UDP
#   transport on 127.0.0.1, an account sip:uas@127.0.0.1 whose media binds
#   127.0.0.1. Every INVITE is answered 200 inside onIncomingCall. With
#   --record DIR, each call gets a WAV recorder on its audio, deleted with
#   its file when the call is disconnected.
#
# Threads: as pjsua2's Python guide recommends, no pjsua worker thread
# (uaConfig.threadCnt = 0); the main thread polls libHandleEvents(), so
# every callback runs on Python's own thread. pjmedia keeps its media and
# clock threads.
#
# bench/run.js makes a venv with pjsua2-python from PyPI and runs:
#   python python-uas.py [--port N] [--record DIR] [--max-calls N]
# Prints "READY <port>" once listening, then reads commands on stdin:
#   stats -> one JSON line {"answered":..,"confirmed":..,"disconnected":..,"ports":..}
#   quit  -> hangs up, destroys the library, exits 0

import argparse
import itertools
import json
import os
import select
import sys

import pjsua2 as pj

counters = dict(incoming=0, answered=0, confirmed=0, disconnected=0, recorders=0, recordErrors=0)
calls = {}  # call id -> UasCall: pjsua2 objects must outlive their SWIG proxies
file_seq = itertools.count(1)
record_dir = None


class UasCall(pj.Call):
    def __init__(self, account, call_id):
        pj.Call.__init__(self, account, call_id)
        self.recorder = None
        self.file = None

    def onCallState(self, prm):
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            counters['confirmed'] += 1
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            counters['disconnected'] += 1
            self.drop_recorder()
            calls.pop(info.id, None)

    def onCallMediaState(self, prm):
        if not record_dir or self.recorder:
            return
        info = self.getInfo()
        for i, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            try:
                self.file = os.path.join(record_dir, f'python-{os.getpid()}-{next(file_seq)}.wav')
                self.recorder = pj.AudioMediaRecorder()
                self.recorder.createRecorder(self.file)
                self.getAudioMedia(i).startTransmit(self.recorder)
                counters['recorders'] += 1
            except pj.Error:
                counters['recordErrors'] += 1
            break

    def drop_recorder(self):
        if self.recorder is None:
            return
        self.recorder = None  # the proxy's destructor destroys the port
        try:
            os.unlink(self.file)
        except OSError:
            pass


class UasAccount(pj.Account):
    def onIncomingCall(self, prm):
        counters['incoming'] += 1
        call = UasCall(self, prm.callId)
        calls[prm.callId] = call
        op = pj.CallOpParam()
        op.statusCode = 200
        try:
            call.answer(op)
            counters['answered'] += 1
        except pj.Error:
            pass  # pjsua hangs the call up; onCallState(DISCONNECTED) drops it


def main():
    global record_dir
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--record')
    parser.add_argument('--max-calls', type=int, default=4)
    args = parser.parse_args()
    record_dir = args.record

    # pjlib logs to fd 1 from libCreate on, before logConfig applies: the
    # protocol gets its own copy of stdout, fd 1 goes to /dev/null.
    proto = os.fdopen(os.dup(1), 'w', buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = args.max_calls
    cfg.medConfig.sndAutoCloseTime = -1
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()

    tcfg = pj.TransportConfig()
    tcfg.port = args.port
    tcfg.boundAddress = '127.0.0.1'
    tid = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()

    acfg = pj.AccountConfig()
    acfg.idUri = 'sip:uas@127.0.0.1'
    acfg.mediaConfig.transportConfig.boundAddress = '127.0.0.1'
    account = UasAccount()
    account.create(acfg)

    local = ep.transportGetInfo(tid).localName  # "127.0.0.1:port"
    print(f'READY {local.rsplit(":", 1)[1]}', file=proto)

    stdin = sys.stdin.fileno()
    pending = b''
    running = True
    while running:
        ep.libHandleEvents(20)  # returns as soon as something was handled
        if not select.select([stdin], [], [], 0)[0]:
            continue
        chunk = os.read(stdin, 4096)
        if not chunk:
            break
        pending += chunk
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            line = line.decode().strip()
            if line == 'stats':
                stats = dict(counters, ports=ep.mediaActivePorts(), calls=len(calls))
                print(json.dumps(stats), file=proto)
            elif line == 'quit':
                running = False
                break

    ep.hangupAllCalls()
    for _ in range(50):  # let the BYEs and their responses go through
        ep.libHandleEvents(10)
    calls.clear()
    account.shutdown()
    ep.libDestroy()


if __name__ == '__main__':
    main()
