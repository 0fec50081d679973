"""The app server's connections have Nagle's algorithm off (ganlab.ui.tcp_nodelay)."""

import os
import socket

import pytest

from ganlab.ui.tcp_nodelay import is_socket, nodelay_on_listening_sockets, open_descriptors

starlette_server = pytest.importorskip("streamlit.web.server.starlette.starlette_server")


def accepted_nodelay(listener: socket.socket) -> int:
    with socket.create_connection(listener.getsockname()[:2]) as client:
        client.sendall(b"x")
        listener.setblocking(True)
        connection, _ = listener.accept()
        with connection:
            return connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_streamlits_own_listening_socket_leaves_nagle_on_which_is_why_this_exists():
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    with listener:
        assert listener.proto == 0  # so asyncio does not set TCP_NODELAY on what it accepts
        assert accepted_nodelay(listener) == 0


def test_after_the_call_every_connection_the_listening_socket_accepts_has_nodelay():
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)  # bound as `streamlit run` binds it
    left, right = socket.socketpair()
    with listener, left, right, socket.socket() as idle:
        assert nodelay_on_listening_sockets() >= 1
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert accepted_nodelay(listener) == 1  # inherited by the connection
        assert idle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # not listening: untouched
        assert left.fileno() in open_descriptors()  # a Unix socket pair is seen, and skipped without error


def test_the_call_leaves_no_descriptor_open_behind_it_even_beside_pipes_and_files(tmp_path):
    read_end, write_end = os.pipe()
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    with listener, open(tmp_path / "log.txt", "w"):
        before = sorted(open_descriptors())
        for _ in range(5):  # a call per script run must not add up (it doubled every non-socket descriptor)
            assert nodelay_on_listening_sockets() >= 1
        assert sorted(open_descriptors()) == before
    os.close(write_end)
    assert os.read(read_end, 1) == b""  # no duplicate of the write end kept the pipe open
    os.close(read_end)


def test_only_sockets_are_duplicated():
    read_end, write_end = os.pipe()
    with socket.socket() as sock:
        assert is_socket(sock.fileno()) and not is_socket(read_end) and not is_socket(write_end)
    assert not is_socket(write_end + 1000)  # no such descriptor
    os.close(read_end)
    os.close(write_end)
