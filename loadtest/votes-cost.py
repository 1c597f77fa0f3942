#!/usr/bin/env python3
"""What the data dir writes per vote: one participant posts an insight at a
table, then VOTERS people (1,000 by default) in turn sit down, vote for it and
leave (each vote waits for its reply, so each is its own commit). Starts the
server it is given with a fresh --data-dir and reads the bytes the process
wrote (/proc/PID/io wchar: the WAL and the database, and the few hundred bytes
of the vote's reply and event on two sockets) around every vote, and prints
them for the first and last votes. Asserts nothing: a benchmark that prints
figures, run with two binaries to compare them side by side.

    loadtest/votes-cost.py build/release/server/roundtable-server [VOTERS]

Standard library only (a minimal WebSocket client: text frames, masked).
"""
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.buf = b""
        self.rid = 0

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            header = bytes([0x81, 0x80 | n])
        else:
            header = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        b0, b1 = self._exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(self._exact(2), "big")
        elif n == 127:
            n = int.from_bytes(self._exact(8), "big")
        return b0 & 0x0F, self._exact(n)

    def request(self, op, **fields):
        self.rid += 1
        self.send({"op": op, "rid": self.rid, **fields})
        events = []
        while True:
            opcode, data = self.frame()
            if opcode != 1:
                continue
            for line in data.decode().split("\n"):
                if not line:
                    continue
                m = json.loads(line)
                if m.get("type") == "reply" and m.get("rid") == self.rid:
                    assert m["ok"], m
                    return m, events
                events.append(m)


def wchar(pid):
    with open(f"/proc/{pid}/io") as f:
        return int(re.search(r"wchar: (\d+)", f.read()).group(1))


def main():
    server = sys.argv[1]
    voters = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    work = tempfile.mkdtemp(prefix="votes-cost-")
    event = os.path.join(work, "event.json")
    with open(event, "w") as f:
        f.write('{"id":"votes","title":"Votes","tables":[{"id":"t1","topic":"T1"}]}')
    proc = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", "0", "--event", event, "--data-dir",
         os.path.join(work, "data"), "--rate-limit", "0", "--max-connections-per-ip", "100000"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        for line in proc.stdout:
            m = re.search(r"listening on \S+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        author = Client(port)
        author.request("hello", name="author")
        author.request("join", table="t1")
        _, events = author.request("insight", text="the key insight")
        insight = next(e["id"] for e in events if e.get("type") == "insight")
        per_vote = []
        for i in range(voters):
            # One voter seated at a time: the fan-out of each vote (and its
            # socket writes, which wchar counts too) stays two clients.
            c = Client(port)
            c.request("hello", name=f"v{i}")
            c.request("join", table="t1")
            before = wchar(proc.pid)
            c.request("vote", insight=insight)
            per_vote.append(wchar(proc.pid) - before)
            c.request("leave")
            c.sock.close()
        med = lambda v: int(statistics.median(v))
        print(f"{server}: {voters} votes; bytes written per vote: vote 10 {per_vote[9]}, "
              f"vote {voters} {per_vote[-1]}; median of votes 1-100 {med(per_vote[:100])}, "
              f"of the last 100 {med(per_vote[-100:])}; average {sum(per_vote) // voters}, "
              f"total {sum(per_vote)}")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
