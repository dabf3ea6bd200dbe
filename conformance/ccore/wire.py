"""Line-delimited JSON between the node harness and a Python gRPC process.

One request a line on stdin, {"id": n, "op": "...", ...}; one reply a line on stdout, {"id": n, ...} or
{"id": n, "error": "..."}. Each request runs on a thread of its own, so a long batch of RPCs never holds up a
short question. Nothing else may write to stdout: gRPC's own logging goes to stderr.
"""

import json
import os
import sys
import threading

_out = threading.Lock()


def _reply(message):
    line = json.dumps(message) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()


def _handle(handlers, request):
    try:
        handler = handlers.get(request.get("op"))
        if handler is None:
            raise ValueError(f"unknown op {request.get('op')!r}; known: {', '.join(sorted(handlers))}")
        _reply({"id": request["id"], **handler(request)})
    except Exception as e:  # every failure goes back to the harness, which fails the scenario with it
        _reply({"id": request.get("id"), "error": f"{type(e).__name__}: {e}"})


def serve(handlers, on_close=None, about=None):
    """
    Says it is ready (with `about`, facts for the harness), then serves requests until stdin closes (the harness
    is done, or gone), then ends the process at once.
    """
    _reply({"id": 0, "ready": True, **(about or {})})
    for line in sys.stdin:
        if line.strip():
            request = json.loads(line)
            threading.Thread(target=_handle, args=(handlers, request), daemon=True).start()
    if on_close is not None:
        on_close()
    sys.stdout.flush()
    # gRPC's threads (pollers, the xDS client's timers) would otherwise hold the interpreter at exit.
    os._exit(0)


def split_method(method):
    """'/package.Service/Method' -> ('package.Service', 'Method')."""
    service, _, name = method.lstrip("/").partition("/")
    if not service or not name:
        raise ValueError(f"method {method!r} is not /package.Service/Method")
    return service, name
