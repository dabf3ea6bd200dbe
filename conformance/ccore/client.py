"""A proxyless gRPC application on gRPC C-core: channels to xds:///<service>, driven over wire.py.

    GRPC_XDS_BOOTSTRAP_CONFIG='{...}' python3 client.py /package.Service/Method

One process is one xDS client (C-core keeps one per process, from the bootstrap in its environment): one
node id, one ADS stream, however many services it calls.

Ops (deadlineMs bounds each RPC):
  batch {service, count, concurrency, deadlineMs}   -> tally of `count` RPCs, `concurrency` at a time
  trafficStart {service, concurrency, deadlineMs}   -> {traffic}: RPCs kept in flight until stopped
  trafficRead {traffic}                             -> the tally so far
  trafficStop {traffic}                             -> the tally, every started RPC having completed
A tally is {"by": {backend name or "ERR <CODE>": count}, "errorDetails": {"ERR <CODE>": one example}}.
"""

import itertools
import sys
import threading

import grpc

import wire

_method = sys.argv[1]
_channels = {}
_traffic = {}
_lock = threading.Lock()
_ids = itertools.count(1)


def _call(service):
    with _lock:
        channel = _channels.get(service)
        if channel is None:
            channel = _channels[service] = grpc.insecure_channel(f"xds:///{service}")
            # C-core moves a channel's I/O, its xDS stream included, only while some thread polls the channel:
            # without an RPC in flight, an xDS update waits for the backup poller (every 5 s by default). Watching
            # the connectivity state keeps a thread polling, as a busy application's RPCs would.
            channel.subscribe(lambda state: None, try_to_connect=True)
    return channel.unary_unary(_method)


class Tally:
    def __init__(self):
        self._lock = threading.Lock()
        self.by = {}
        self.details = {}

    def add(self, outcome, detail=None):
        with self._lock:
            self.by[outcome] = self.by.get(outcome, 0) + 1
            if detail is not None and outcome not in self.details:
                self.details[outcome] = detail

    def snapshot(self):
        with self._lock:
            return {"by": dict(self.by), "errorDetails": dict(self.details)}


def _one(call, tally, deadline_ms, metadata=None):
    try:
        tally.add(call(b"", timeout=deadline_ms / 1000, metadata=metadata).decode("utf-8"))
    except grpc.RpcError as e:
        tally.add(f"ERR {e.code().name}", e.details())


def batch(request):
    call, tally = _call(request["service"]), Tally()
    count, deadline_ms = request["count"], request.get("deadlineMs", 3000)
    metadata = list(request.get("metadata", {}).items()) or None
    remaining = iter(range(count))
    take = threading.Lock()

    def worker():
        while True:
            with take:
                if next(remaining, None) is None:
                    return
            _one(call, tally, deadline_ms, metadata)

    workers = [threading.Thread(target=worker) for _ in range(min(request.get("concurrency", 10), count))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return tally.snapshot()


def traffic_start(request):
    call, tally, running = _call(request["service"]), Tally(), threading.Event()
    deadline_ms = request.get("deadlineMs", 5000)
    running.set()

    def worker():
        while running.is_set():
            _one(call, tally, deadline_ms)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(request.get("concurrency", 4))]
    for w in workers:
        w.start()
    traffic = next(_ids)
    with _lock:
        _traffic[traffic] = (tally, running, workers)
    return {"traffic": traffic}


def traffic_read(request):
    with _lock:
        tally, _, _ = _traffic[request["traffic"]]
    return tally.snapshot()


def traffic_stop(request):
    with _lock:
        tally, running, workers = _traffic.pop(request["traffic"])
    running.clear()
    for w in workers:
        w.join()
    return tally.snapshot()


wire.serve(
    {"batch": batch, "trafficStart": traffic_start, "trafficRead": traffic_read, "trafficStop": traffic_stop},
    about={"grpcio": grpc.__version__},
)
