#!/usr/bin/env python3
"""Raw HTTP/1.1 probes for tests/server_cli_test.sh and
tests/server_hardening_test.sh: what curl cannot do on purpose (stall
half-way, announce a body that never comes, hold connections open, send two
requests on one connection, keep one across a token rotation). Prints one
line per finding."""
import os
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


_pending = {}  # socket → bytes read past the last response (pipelining)


def read_response(s):
    """Reads one response (headers + Content-Length body); returns (status, headers, body)."""
    data = _pending.pop(s, b"")
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, {}, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    _pending[s] = rest[length:]
    return status, headers, rest[:length]


def oversize(port, token):
    # Announces a body one byte over 64 MiB and sends none of it: the answer
    # must come from the header alone.
    s = connect(port)
    s.sendall(("POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n" % (token, 64 * 1024 * 1024 + 1)).encode())
    status, _, _ = read_response(s)
    print("oversize", status)


def keepalive(port, token):
    # Two requests on one connection, the second sent after the first answer.
    s = connect(port)
    body = b'{"type": "assign", "provider": "entra", "subject": "ka", "group": "staff"}\n'
    statuses = []
    for _ in range(2):
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() +
                  b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        status, headers, answer = read_response(s)
        statuses.append("%s %s" % (status, answer.count(b"\n")))
    print("keepalive", ", ".join(statuses))


def pipelined(port, token):
    # Two requests in one write: both answered, in order.
    s = connect(port)
    req = ("GET /v1/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % token).encode()
    s.sendall(req + req)
    a = read_response(s)[0]
    b = read_response(s)[0]
    print("pipelined", a, b)


def stall(port, token, other_requests):
    # A client that sends half a header and stops. While it stalls, other
    # clients are served; then the server closes it (read timeout).
    stalled = connect(port)
    stalled.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Le")
    started = time.time()
    served = 0
    for _ in range(other_requests):
        s = connect(port)
        s.sendall(("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode())
        if read_response(s)[0] == 200:
            served += 1
        s.close()
    print("served_while_stalled", served)
    stalled.settimeout(20)
    try:
        closed = stalled.recv(1) == b""
    except (ConnectionResetError, socket.timeout) as e:
        closed = isinstance(e, ConnectionResetError)
    print("stalled_closed", "yes" if closed else "no", "after_under_20s" if time.time() - started < 20 else "late")


def cap(port, n):
    # n idle connections fill the cap; the next one gets 503.
    held = [connect(port) for _ in range(n)]
    time.sleep(0.3)
    extra = connect(port)
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    print("over_cap", read_response(extra)[0])
    for h in held:
        h.close()
    # The server frees a slot once it has seen the close: allow it a moment.
    status = None
    for _ in range(20):
        time.sleep(0.1)
        try:
            s = connect(port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status = read_response(s)[0]
        except OSError:
            status = None
        if status == 200:
            break
    print("after_cap", status)


def rotate(port, kept_token, removed_token, go_file):
    # One keep-alive connection across a SIGHUP rotation of the tokens file:
    # both tokens work on it before; once go_file exists (the rotation is
    # done), the token still in the file works on that same connection, the
    # removed one gets 401 there, and the connection serves on after it.
    # A connection the server closed would show as None.
    s = connect(port)
    s.settimeout(20)

    def status_with(token):
        s.sendall(("GET /v1/who-has?role=Wiki.Reader HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % token).encode())
        return read_response(s)[0]

    print("before", status_with(kept_token), status_with(removed_token), flush=True)
    deadline = time.time() + 120
    while not os.path.exists(go_file):
        if time.time() > deadline:
            print("after never_told_to_go")
            return
        time.sleep(0.05)
    print("after", status_with(kept_token), status_with(removed_token), status_with(kept_token), flush=True)


def garbage(port):
    s = connect(port)
    s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
    print("garbage", read_response(s)[0])


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "oversize":
        oversize(port, sys.argv[3])
    elif cmd == "keepalive":
        keepalive(port, sys.argv[3])
    elif cmd == "pipelined":
        pipelined(port, sys.argv[3])
    elif cmd == "stall":
        stall(port, sys.argv[3], int(sys.argv[4]))
    elif cmd == "cap":
        cap(port, int(sys.argv[3]))
    elif cmd == "rotate":
        rotate(port, sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "garbage":
        garbage(port)
