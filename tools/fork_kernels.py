"""Kernels that start with PyTorch already imported: forked from one process that imported it.

Every chapter runs in a fresh Jupyter kernel, and a fresh kernel spends about
five seconds of CPU importing PyTorch, IPython and ipykernel before the
chapter's first line runs, and seconds more on what the chapter imports
(torch._dynamo with the first optimizer, torchvision): 32 chapters, over two
minutes of a two-core machine. Here one *fork server* imports them once (about
6 s); each kernel is a fork of it, a new process with its own memory that
finds those modules already loaded. A chapter still starts from an empty
namespace, seeds what it draws, and cannot see what another chapter did.

How a kernel starts: jupyter_client runs the kernel command of
:class:`ForkingKernelManager`, a small *launcher* (this file, ``--launch``),
with the connection file, the working directory and the environment it chose.
The launcher passes them to the server over a Unix socket; the server forks,
and the child becomes the kernel (ipykernel's own start-up, in that directory
and environment). The launcher stands for the kernel towards jupyter_client:
it forwards the signals it receives (interrupt, terminate) to the kernel and
exits with the kernel's exit status. If the launcher dies, the server kills
its kernel.

matplotlib is imported with its backend named in advance (ipykernel's inline
backend, as ipykernel itself would set it), and pyplot is not imported, so
that figures show up in the chapter as they do in any kernel.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
PRELOADED = ("torch", "numpy", "matplotlib", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel")
# Imported too where installed; each is seconds of CPU that many chapters would pay again:
# torch._dynamo (about 3 s, imported by the first optimizer a chapter creates), torchvision (the
# MNIST chapters), debugpy (every kernel, for its debugger), myst_nb's glue, the heavy parts of
# matplotlib that pyplot pulls in, and the book's own package (all but its plotting modules,
# which import pyplot).
ALSO_PRELOADED = ("torch._dynamo", "torch.optim", "torchvision", "ipykernel.debugger",
                  "myst_nb.ext.glue", "matplotlib.figure", "matplotlib.backends.backend_agg",
                  "dlbasics", "dlbasics.training", "dlbasics.recipes", "dlbasics.models",
                  "dlbasics.mnist", "dlbasics.evaluation", "dlbasics.losses", "dlbasics.backprop",
                  "dlbasics.recurrent", "dlbasics.sequences")


# --- the launcher: what jupyter_client starts as "the kernel" ----------------------

def launch(server: str, argv: list[str]) -> int:
    """Ask the server for a kernel; stand for it until it exits."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(server)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    connection.sendall(json.dumps(request).encode() + b"\n")
    stream = connection.makefile("r")
    pid = int(stream.readline())

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    status = stream.readline()
    return int(status) if status.strip() else 1


# --- the server -----------------------------------------------------------------

def _become_kernel(request: dict) -> None:
    """In the forked child: start ipykernel as `python -m ipykernel_launcher` would."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [sys.executable, *request["argv"]]
    status = 0
    try:
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"])
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 0
    except BaseException:  # noqa: BLE001  (the kernel's own error; report and exit)
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve(address: str) -> None:
    """Import once, then fork a kernel for every launcher that connects."""
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for module in PRELOADED:
        __import__(module)
    for module in ALSO_PRELOADED:
        try:
            __import__(module)
        except ImportError:
            pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(16)
    print("ready", flush=True)  # the parent waits for this line
    kernels: dict[socket.socket, int] = {}  # launcher connection -> kernel pid
    while True:
        readable, _, _ = select.select([listener, *kernels], [], [], 0.05)
        for ready in readable:
            if ready is listener:
                connection, _ = listener.accept()
                request = json.loads(connection.makefile("r").readline())
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    for other in kernels:
                        other.close()
                    connection.close()
                    _become_kernel(request)
                connection.sendall(f"{pid}\n".encode())
                kernels[connection] = pid
            else:  # the launcher went away: its kernel goes too
                pid = kernels.pop(ready)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                ready.close()
        for connection, pid in list(kernels.items()):
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                code = os.waitstatus_to_exitcode(status)
                try:
                    connection.sendall(f"{code}\n".encode())
                except OSError:
                    pass
                connection.close()
                del kernels[connection]


@contextmanager
def fork_server(environment: dict[str, str], log: Path):
    """A running fork server whose kernels get ``environment``; yields its address.

    The server's and its kernels' own messages (not the chapters' output) go to ``log``.
    """
    folder = tempfile.mkdtemp(prefix="dlb-kernels-")
    address = os.path.join(folder, "server.sock")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as messages:
        process = subprocess.Popen([sys.executable, __file__, "--serve", address],
                                   env={**os.environ, **environment},
                                   stdout=subprocess.PIPE, stderr=messages, text=True)
    try:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the kernel fork server did not start (see {log}); "
                               "DLB_FORK_KERNELS=0 starts every kernel afresh instead")
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        Path(address).unlink(missing_ok=True)
        os.rmdir(folder)


def forking_kernel_manager(address: str):
    """A jupyter_client kernel manager class whose kernels come from the server at ``address``."""
    from jupyter_client.manager import AsyncKernelManager

    class ForkingKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            connection_file = os.path.realpath(self.connection_file)
            return [sys.executable, "-I", "-S", __file__, "--launch", address,
                    "-f", connection_file, *(extra_arguments or [])]

    return ForkingKernelManager


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2])
    elif sys.argv[1:2] == ["--launch"]:
        sys.exit(launch(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(f"usage: {sys.argv[0]} --serve ADDRESS | --launch ADDRESS -f CONNECTION_FILE")
