#!/usr/bin/env python3
"""TLS probes for tests/server_tls_test.sh: what curl and `openssl s_client`
cannot do on purpose (hold one connection across a certificate rotation,
pipeline over TLS, stall before the handshake, fill the connection cap, tell
a clean close_notify from a cut connection). Prints one line per finding.
Usage: tls_probe.py COMMAND PORT CA_FILE [ARGS…]"""
import os
import socket
import ssl
import sys
import time


def tls_connect(port, ca, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=ca)  # verifies the chain and the IP SAN
    if cert:
        ctx.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    # suppress_ragged_eofs=False: a close without close_notify raises, so
    # that a clean TLS close can be told apart from a cut connection.
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False)


_pending = {}  # socket → bytes read past the last response (pipelining)


def read_response(s):
    """One response (headers + Content-Length body): (status, body), or (None, b"") if closed."""
    data = _pending.pop(s, b"")
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    _pending[s] = rest[length:]
    return int(lines[0].split()[1]), rest[:length]


def get(token, path="/v1/config", close=False):
    return ("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s\r\n"
            % (path, token, "Connection: close\r\n" if close else "")).encode()


def serial(s):
    return s.getpeercert()["serialNumber"]


def hold(port, ca, token, go_file):
    # One keep-alive connection: a request, then (once go_file exists: the
    # certificate has been rotated meanwhile) another on the same connection.
    s = tls_connect(port, ca)
    s.sendall(get(token))
    print("before", read_response(s)[0], "serial=" + serial(s), flush=True)
    deadline = time.time() + 300
    while not os.path.exists(go_file):
        if time.time() > deadline:
            print("after never_told_to_go")
            return
        time.sleep(0.05)
    s.sendall(get(token))
    print("after", read_response(s)[0], "serial=" + serial(s), flush=True)


def pipelined(port, ca, token):
    # Two requests in one write: both answered, in order.
    s = tls_connect(port, ca)
    s.sendall(get(token) + get(token))
    print("pipelined", read_response(s)[0], read_response(s)[0])


def plain(port):
    # Plain HTTP to the TLS port: no HTTP answer, the connection closed.
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        closed = "closed"
    except ConnectionResetError:
        closed = "closed"
    except socket.timeout:
        closed = "still_open"
    print("plain_http", "http_answer" if b"HTTP/" in data else "no_http_answer", closed)


def stall(port):
    # Connects and never starts the handshake: closed by the read timeout.
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    started = time.time()
    try:
        closed = s.recv(1) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    print("handshake_stall", "closed" if closed else "open", "under_60s" if time.time() - started < 60 else "late")


def cap(port, ca, n):
    # n connections past their handshake fill the cap; the next is closed
    # before any handshake; once one is closed, a new one is served.
    held = [tls_connect(port, ca) for _ in range(n)]
    try:
        extra = tls_connect(port, ca)
        extra.sendall(get("x", "/healthz", close=True))
        print("over_cap served", read_response(extra)[0])
    except (ssl.SSLError, OSError):
        print("over_cap refused")
    held.pop().close()
    status = None
    for _ in range(100):  # the server frees the slot once it has seen the close
        try:
            s = tls_connect(port, ca)
            s.sendall(get("x", "/healthz", close=True))
            status = read_response(s)[0]
        except (ssl.SSLError, OSError):
            status = None
        if status == 200:
            break
        time.sleep(0.1)
    print("after_cap", status)


def stop(port, ca, token):
    # An idle keep-alive connection while the server stops: it ends with a
    # TLS close_notify (recv returns b""), not a cut (SSLEOFError).
    s = tls_connect(port, ca)
    s.sendall(get(token))
    print("ready", read_response(s)[0], flush=True)
    try:
        print("stop", "close_notify" if s.recv(1) == b"" else "data")
    except ssl.SSLEOFError:
        print("stop cut_without_close_notify")
    except (ssl.SSLError, OSError) as e:
        print("stop error", type(e).__name__)


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    args = sys.argv[3:]
    if cmd == "hold":
        hold(port, *args)
    elif cmd == "pipelined":
        pipelined(port, *args)
    elif cmd == "plain":
        plain(port)
    elif cmd == "stall":
        stall(port)
    elif cmd == "cap":
        cap(port, args[0], int(args[1]))
    elif cmd == "stop":
        stop(port, *args)
    else:
        sys.exit("unknown probe " + cmd)
