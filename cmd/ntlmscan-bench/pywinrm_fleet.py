# pywinrm fleet run for ntlmscan-bench (Debian python3-winrm 0.3.0, NTLM with
# message encryption): the same work ntlmscan does per host, at the same
# concurrency (threads): one session per host, a shell, the collector's
# command line in pipe mode (run_command(console_mode_stdin=False)), its stdin
# in rsp:Send messages (built the way later pywinrm's send_command_input does),
# Receive until done, Signal, Delete.
# Usage: pywinrm_fleet.py FLEET.json USER CONCURRENCY (password on stdin).
# FLEET.json: {"command": str, "stdins": [base64...], "hosts": [[url, stdin index], ...]}.
# Prints one JSON line: {"wall": s, "ok": n, "failed": n, "error": first error}.
import hashlib
import json
import struct
import sys


def _md4(data):
    """Pure-Python MD4 (RFC 1320), for OpenSSL 3 builds without the legacy provider."""
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rol(v, s): v &= 0xFFFFFFFF; return ((v << s) | (v >> (32 - s))) & 0xFFFFFFFF
    msg = bytearray(data)
    bit_len = (8 * len(msg)) & 0xFFFFFFFFFFFFFFFF
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", bit_len)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", bytes(msg[off:off + 64]))
        aa, bb, cc, dd = a, b, c, d
        for i in range(16):
            k, s = i, (3, 7, 11, 19)[i % 4]
            if i % 4 == 0: a = rol(a + f(b, c, d) + x[k], s)
            elif i % 4 == 1: d = rol(d + f(a, b, c) + x[k], s)
            elif i % 4 == 2: c = rol(c + f(d, a, b) + x[k], s)
            else: b = rol(b + f(c, d, a) + x[k], s)
        for i in range(16):
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            if i % 4 == 0: a = rol(a + g(b, c, d) + x[k] + 0x5A827999, s)
            elif i % 4 == 1: d = rol(d + g(a, b, c) + x[k] + 0x5A827999, s)
            elif i % 4 == 2: c = rol(c + g(d, a, b) + x[k] + 0x5A827999, s)
            else: b = rol(b + g(c, d, a) + x[k] + 0x5A827999, s)
        order = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)
        for i in range(16):
            k, s = order[i], (3, 9, 11, 15)[i % 4]
            if i % 4 == 0: a = rol(a + h(b, c, d) + x[k] + 0x6ED9EBA1, s)
            elif i % 4 == 1: d = rol(d + h(a, b, c) + x[k] + 0x6ED9EBA1, s)
            elif i % 4 == 2: c = rol(c + h(d, a, b) + x[k] + 0x6ED9EBA1, s)
            else: b = rol(b + h(c, d, a) + x[k] + 0x6ED9EBA1, s)
        a, b, c, d = [(v + w) & 0xFFFFFFFF for v, w in ((a, aa), (b, bb), (c, cc), (d, dd))]
    return struct.pack("<4I", a, b, c, d)


class _MD4:
    def __init__(self, data=b""):
        self._data = bytes(data)

    def update(self, data):
        self._data += bytes(data)

    def digest(self):
        return _md4(self._data)

    def hexdigest(self):
        return self.digest().hex()


try:
    hashlib.new("md4", b"")
except ValueError:
    _new = hashlib.new

    def _patched_new(name, data=b"", **kw):
        if name.lower() == "md4":
            return _MD4(data)
        return _new(name, data, **kw)

    hashlib.new = _patched_new

assert _md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"

import base64  # noqa: E402
import concurrent.futures  # noqa: E402
import time  # noqa: E402

import winrm  # noqa: E402  (after the MD4 shim)
import xmltodict  # noqa: E402

SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CHUNK = 96 * 1024  # raw stdin bytes per Send: within a 150 KB envelope after base64


def send_input(p, shell_id, command_id, data, end):
    req = {"env:Envelope": p._get_soap_header(resource_uri=SHELL_URI + "/cmd", action=SHELL_URI + "/Send",
                                              shell_id=shell_id)}
    stream = req["env:Envelope"].setdefault("env:Body", {}).setdefault("rsp:Send", {}).setdefault("rsp:Stream", {})
    stream["@Name"] = "stdin"
    stream["@CommandId"] = command_id
    stream["#text"] = base64.b64encode(data).decode("ascii")
    if end:
        stream["@End"] = "true"
    p.send_message(xmltodict.unparse(req))


def main():
    fleet = json.load(open(sys.argv[1]))
    user, conc = sys.argv[2], int(sys.argv[3])
    password = sys.stdin.readline().rstrip("\n")
    command = fleet["command"]
    stdins = [base64.b64decode(s) for s in fleet["stdins"]]

    def one(host):
        url, idx = host
        p = winrm.Session(url, auth=(user, password), transport="ntlm", message_encryption="always",
                          operation_timeout_sec=20, read_timeout_sec=30).protocol
        shell_id = p.open_shell()
        try:
            command_id = p.run_command(shell_id, command, console_mode_stdin=False)
            data = stdins[idx]
            for off in range(0, max(len(data), 1), CHUNK):
                send_input(p, shell_id, command_id, data[off:off + CHUNK], off + CHUNK >= len(data))
            out, err, rc = p.get_command_output(shell_id, command_id)
            p.cleanup_command(shell_id, command_id)
        finally:
            p.close_shell(shell_id)
        if rc != 0 or b"NTLMSCAN-FACTS-END" not in out:
            raise RuntimeError("exit %d, stderr %r" % (rc, err[:200]))

    ok, failed, first = 0, 0, ""
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=conc) as ex:
        for f in concurrent.futures.as_completed([ex.submit(one, h) for h in fleet["hosts"]]):
            try:
                f.result()
                ok += 1
            except Exception as e:  # noqa: BLE001
                failed += 1
                first = first or repr(e)[:300]
    print(json.dumps({"wall": time.monotonic() - t0, "ok": ok, "failed": failed, "error": first}))


if __name__ == "__main__":
    main()
