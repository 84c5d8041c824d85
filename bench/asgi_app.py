"""ASGI entry point of the ``asgi`` benchmark's servers (settings ``bench.asgi_project``).

With ``AXIOMOD_BENCH_PROFILE=<directory>`` the server runs under cProfile on each thread's
own CPU clock (``time.thread_time``): the event loop's thread from here on, and the first
:data:`THREADS` threads started after (the threads Django runs sync code in, the span
exporter's). It writes ``<directory>/<pid>-loop.prof`` (the loop's thread) and
``<directory>/<pid>-threads.prof`` (the others, merged) when the server stops: on
``serving_stopped`` (the ASGI lifespan shutdown; uvicorn then ends by re-raising SIGTERM,
so ``atexit`` handlers do not run) or at exit (a server without lifespan). Profiling
multiplies a request's CPU several times over: read it for where the time goes, not for
how much. py-spy, the sampling profiler that would not need this, does not install here;
yappi is not installed.
"""

import atexit
import cProfile
import os
import pstats
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.asgi_project")

from axiomod.asgi import get_asgi_application
from axiomod.signals import serving_stopped

application = get_asgi_application()


#: Django runs each request's sync code in a thread of its own (asgiref's executor per
#: ``ThreadSensitiveContext``): merging thousands of profiles at exit takes minutes, so
#: only the first threads are profiled.
THREADS = 400


def _profile_every_thread(directory: str) -> None:
    loop = cProfile.Profile(time.thread_time)
    others: list[cProfile.Profile] = []

    def start(*_: object) -> None:
        # Called once per new thread (threading.setprofile); enable() then replaces it.
        if len(others) < THREADS:
            profile = cProfile.Profile(time.thread_time)
            others.append(profile)
            profile.enable()

    def dump(**_: object) -> None:
        if loop in done:
            return
        done.append(loop)
        # Other threads first: disable() (in create_stats) unhooks the calling thread.
        if others:
            pstats.Stats(*others).dump_stats(os.path.join(directory, f"{os.getpid()}-threads.prof"))
        pstats.Stats(loop).dump_stats(os.path.join(directory, f"{os.getpid()}-loop.prof"))

    async def dump_on_stop(**_: object) -> None:
        dump()

    done: list[cProfile.Profile] = []
    threading.setprofile(start)
    atexit.register(dump)
    serving_stopped.connect(dump_on_stop, weak=False)
    loop.enable()


if os.environ.get("AXIOMOD_BENCH_PROFILE"):
    _profile_every_thread(os.environ["AXIOMOD_BENCH_PROFILE"])
