"""Responses without Nagle's 40 ms: TCP_NODELAY on the app server's listening socket.

Streamlit 1.67's server binds its listening socket itself (streamlit.web.server.starlette.starlette_server:
`socket.socket(family)`, protocol 0), and asyncio turns Nagle's algorithm off only on sockets whose protocol
is IPPROTO_TCP. So on a kept-alive connection every response, which uvicorn writes as headers then body,
waits for the client's delayed ACK of the headers: about 40 ms more per request, even for 143 bytes
(measured in Chromium: a live frame's body arrived 41-46 ms after its headers; with TCP_NODELAY, 0-1 ms).
For the live plane that is 40 ms of each 67 ms frame period, and every page load pays it per file.

The socket is bound before uvicorn imports app.py, so `nodelay_on_listening_sockets()`, called there, finds
this process's listening TCP sockets among its open descriptors and sets TCP_NODELAY on each; Linux, macOS
and the BSDs pass it on to every connection a listening socket accepts.
"""

from __future__ import annotations

import os
import socket
import stat

FD_FOLDERS = ("/proc/self/fd", "/dev/fd")  # Linux, then macOS and the BSDs


def open_descriptors() -> list[int]:
    """This process's open file descriptors (empty where the OS does not list them)."""
    for folder in FD_FOLDERS:
        try:
            return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
        except OSError:
            continue
    return []


def is_socket(fd: int) -> bool:
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False  # closed meanwhile


def nodelay_on_listening_sockets() -> int:
    """Set TCP_NODELAY on every listening TCP socket this process holds; returns how many. Opens nothing that
    outlives the call: only sockets are looked at, each through a duplicate descriptor closed again at once
    (a duplicate left open of a pipe would keep the pipe's other end from ever seeing its end)."""
    done = 0
    for fd in filter(is_socket, open_descriptors()):
        try:
            duplicate = os.dup(fd)
        except OSError:
            continue  # closed meanwhile
        try:
            sock = socket.socket(fileno=duplicate)  # a second handle on the same socket: options are shared
        except OSError:
            os.close(duplicate)  # socket() does not take over a descriptor it refused
            continue
        with sock:
            try:
                listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
                if (listening and sock.type == socket.SOCK_STREAM
                        and sock.family in (socket.AF_INET, socket.AF_INET6)):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    done += 1
            except OSError:
                continue
    return done


__all__ = ["is_socket", "nodelay_on_listening_sockets", "open_descriptors"]
