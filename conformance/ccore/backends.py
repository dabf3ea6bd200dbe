"""Python gRPC backends (gRPC C-core servers), any number in one process, driven over wire.py.

    python3 backends.py /package.Service/Method

Each backend is a server of its own on an address the kernel picks, whose one unary method answers with the
backend's name, so every RPC outcome says which instance served it.

Ops: start {name, host, failWith?, delayMs?, hold?} -> {port}; stop {name} -> {}; held {name, count, timeoutMs}
-> {held}; release {name} -> {}. With failWith (a status code name such as UNAVAILABLE) every call ends with that
status; with delayMs each call waits that long first; with hold every call waits until release, and held answers
once count calls are waiting (so a test knows a call is in flight at the backend).
"""

import sys
import threading
import time
from concurrent import futures

import grpc

import wire

_method = sys.argv[1]
_service_name, _method_name = wire.split_method(_method)
# One pool serves every backend's handlers: a handler only returns a name.
_pool = futures.ThreadPoolExecutor(max_workers=16)
_servers = {}
_gates = {}
_lock = threading.Lock()


class _Gate:
    """Holds calls until released; counts the calls waiting."""

    def __init__(self):
        self.released = threading.Event()
        self.changed = threading.Condition()
        self.waiting = 0

    def hold(self):
        with self.changed:
            self.waiting += 1
            self.changed.notify_all()
        self.released.wait()

    def wait_for(self, count, timeout):
        with self.changed:
            if not self.changed.wait_for(lambda: self.waiting >= count, timeout):
                raise TimeoutError(f"{self.waiting} calls held, not {count}, after {timeout} s")
            return self.waiting


def _echo(name, fail_with=None, delay_ms=0, gate=None):
    answer = name.encode("utf-8")

    def handle(request, context):
        if gate is not None:
            gate.hold()
        if delay_ms:
            time.sleep(delay_ms / 1000)
        if fail_with:
            context.abort(grpc.StatusCode[fail_with], f"{name} fails on purpose")
        return answer

    handler = grpc.unary_unary_rpc_method_handler(handle)
    return grpc.method_handlers_generic_handler(_service_name, {_method_name: handler})


def start(request):
    name, host = request["name"], request.get("host", "127.0.0.1")
    with _lock:
        if name in _servers:
            raise ValueError(f"backend {name} is already running")
        gate = _Gate() if request.get("hold") else None
        server = grpc.server(_pool, handlers=[_echo(name, request.get("failWith"), request.get("delayMs", 0), gate)])
        if gate is not None:
            _gates[name] = gate
        bind = f"[{host}]:0" if ":" in host else f"{host}:0"
        port = server.add_insecure_port(bind)
        if port == 0:
            raise OSError(f"backend {name} could not listen on {bind}")
        server.start()
        _servers[name] = server
    return {"port": port}


def held(request):
    gate = _gates[request["name"]]
    return {"held": gate.wait_for(request["count"], request.get("timeoutMs", 10000) / 1000)}


def release(request):
    _gates[request["name"]].released.set()
    return {}


def stop(request):
    with _lock:
        gate = _gates.pop(request["name"], None)
        server = _servers.pop(request["name"], None)
    if gate is not None:
        gate.released.set()
    if server is not None:
        server.stop(grace=None).wait()
    return {}


def _stop_all():
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
        for gate in _gates.values():
            gate.released.set()
        _gates.clear()
    for server in servers:
        server.stop(grace=None)


wire.serve({"start": start, "stop": stop, "held": held, "release": release}, on_close=_stop_all)
