"""Python gRPC backends (gRPC C-core servers), any number in one process, driven over wire.py.

    python3 backends.py /package.Service/Method

Each backend is a server of its own on an address the kernel picks, whose one unary method answers with the
backend's name, so every RPC outcome says which instance served it.

Ops: start {name, host, failWith?, delayMs?} -> {port}; stop {name} -> {}. With failWith (a status code name such
as UNAVAILABLE) every call ends with that status; with delayMs each call waits that long first.
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
_lock = threading.Lock()


def _echo(name, fail_with=None, delay_ms=0):
    answer = name.encode("utf-8")

    def handle(request, context):
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
        server = grpc.server(_pool, handlers=[_echo(name, request.get("failWith"), request.get("delayMs", 0))])
        bind = f"[{host}]:0" if ":" in host else f"{host}:0"
        port = server.add_insecure_port(bind)
        if port == 0:
            raise OSError(f"backend {name} could not listen on {bind}")
        server.start()
        _servers[name] = server
    return {"port": port}


def stop(request):
    with _lock:
        server = _servers.pop(request["name"], None)
    if server is not None:
        server.stop(grace=None).wait()
    return {}


def _stop_all():
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop(grace=None)


wire.serve({"start": start, "stop": stop}, on_close=_stop_all)
