"""The operator socket and podwallctl against the real daemon: status and stats shapes and
values, JSON errors for malformed, unknown and oversized requests without harm to the
connection, several clients at once, the socket's mode, recovery of a stale socket file,
refusal to take over a live one, stats-reset, and the same counters over DPDK telemetry."""

import json
import os
import socket
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import PODWALLCTL, Podwall, check, read_line, telemetry  # noqa: E402
from pwpkt import MAC_A, MAC_B, well_formed, wrpcap  # noqa: E402


def main():
    with Podwall("sock") as pw:
        good = well_formed(MAC_A, MAC_B)
        wrpcap(pw.path("in_a.pcap"), good)
        wrpcap(pw.path("in_b.pcap"), [])
        pw.configure(mode="wire", ports=[
            ("a", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pw.path("in_a.pcap"), pw.path("o_a.pcap"))),
            ("b", "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (pw.path("in_b.pcap"), pw.path("o_b.pcap"))),
        ])
        # A stale socket file, as a killed daemon leaves it: must be recovered.
        os.makedirs(os.path.dirname(pw.sock), exist_ok=True)
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(pw.sock)
        stale.close()
        pw.start()
        check(True, "daemon started over a stale socket file")
        mode = stat.S_IMODE(os.stat(pw.sock).st_mode)
        check(mode & 0o007 == 0 and mode & 0o660 == mode, "socket mode is %o (<= 0660)" % mode)

        stats = pw.wait_rx(len(good))
        st = pw.ctl_json("status")
        check(st["version"] and st["node"] == "sock" and st["pid"] == pw.proc.pid,
              "status names version, node and pid")
        check(st["forwarding"] == "wire" and st["burst_size"] == 32, "status forwarding, burst")
        check([p["name"] for p in st["ports"]] == ["a", "b"] and
              all("up" in p["link"] for p in st["ports"]), "status lists ports with link state")
        check([l["role"] for l in st["lcores"]] == ["main", "worker"] and
              len(st["lcores"][1]["rx"]) == 2, "status lists the main lcore and one worker")
        pol = st["policy"]
        check(pol["source"] == "none" and pol["sync_state"] == "synced" and
              pol["generation"] == 1, "policy source none, synced, generation 1")
        check(isinstance(st["hugepages"], bool), "status says whether hugepages are used")
        check(stats["totals"]["rx_packets"] == len(good) and
              stats["totals"]["tx_packets"] == len(good), "stats totals")

        # Protocol errors: JSON replies, connection unharmed.
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(10)
        conn.connect(pw.sock)
        for line, code in ((b"not json", "bad_request"), (b"[1,2]", "bad_request"),
                           (b'{"cmd": 5}', "bad_request"), (b'{"x": 1}', "bad_request"),
                           (b'{"cmd":"nope"}', "unknown_command"),
                           (b'{"cmd":"status","cmd":"stats"}', "bad_request"),
                           (b'{"cmd":"' + b"x" * 100000 + b'"}', "too_large")):
            r = pw.request(line, conn)
            check(r["ok"] is False and r["error"]["code"] == code,
                  "%r... -> %s" % (line[:20], code))
        r = pw.request(b'{"cmd":"status"}', conn)
        check(r["ok"] is True and r["result"]["node"] == "sock",
              "same connection still serves after the errors")
        # Two requests in one write, one request split over two writes.
        conn.sendall(b'{"cmd":"help"}\n{"cmd":"status"}\n{"cmd":"st')
        first = json.loads(read_line(conn))
        second = json.loads(read_line(conn))
        conn.sendall(b'ats"}\n')
        third = json.loads(read_line(conn))
        check(first["ok"] and second["ok"] and third["ok"] and "ports" in third["result"],
              "pipelined and split requests are answered in order")
        check({c["cmd"] for c in first["result"]["commands"]} >=
              {"help", "status", "stats", "stats-reset"}, "help lists the commands")

        # Several clients at once.
        clients = []
        for _ in range(8):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            c.connect(pw.sock)
            clients.append(c)
        for c in clients:
            c.sendall(b'{"cmd":"stats"}\n')
        replies = [json.loads(read_line(c)) for c in clients]
        check(all(r["ok"] for r in replies), "8 simultaneous clients all answered")
        for c in clients:
            c.close()
        conn.close()

        # podwallctl: tables by default, JSON with --json, clear exit codes.
        out = pw.ctl("status").stdout
        check("wire" in out and "net_pcap" in out and " a " in out + " ",
              "podwallctl status prints a table")
        out = pw.ctl("stats").stdout
        check("rx" in out.lower() and "b" in out, "podwallctl stats prints a table")
        r = subprocess.run([PODWALLCTL, "-s", pw.path("nope.sock"), "status"],
                           capture_output=True, text=True)
        check(r.returncode == 3 and "nope.sock" in r.stderr,
              "podwallctl on a missing socket: exit 3 naming it")
        r = pw.ctl("frobnicate", check=False)
        check(r.returncode == 2, "podwallctl unknown command: exit 2")
        r = pw.ctl("raw", '{"cmd":"nope"}', check=False)
        check(r.returncode == 1 and "unknown_command" in r.stderr,
              "podwallctl raw with a daemon error: exit 1 with the code")

        # DPDK telemetry shows the same counters.
        tdata = telemetry(pw.prefix, "/podwall/stats")
        check(tdata.get("rx_packets") == len(good) and tdata.get("generation") == 1,
              "dpdk-telemetry.py /podwall/stats shows rx_packets=%s" % tdata.get("rx_packets"))

        pw.ctl("stats-reset")
        z = pw.ctl_json("stats")
        check(z["totals"]["rx_packets"] == 0 and z["totals"]["tx_packets"] == 0,
              "stats-reset zeroes what readers see")

        # A second daemon must not steal a live socket.
        with Podwall("sock2") as pw2:
            wrpcap(pw2.path("in.pcap"), [])
            pw2.configure(mode="wire", ports=[
                ("x", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pw2.path("in.pcap"), pw2.path("o.pcap"))),
                ("y", "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (pw2.path("in.pcap"), pw2.path("p.pcap"))),
            ])
            pw2.sock = pw.sock
            with open(pw2.config) as f:
                cfg = f.read().replace(pw2.path("run/podwall.sock"), pw.sock)
            with open(pw2.config, "w") as f:
                f.write(cfg)
            r = subprocess.run([os.environ.get("PW_PODWALL", "podwall"), "-c", pw2.config],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode != 0 and pw.sock in (r.stdout + r.stderr),
                  "a second daemon on a live socket exits with an error naming it")
        check(pw.ctl_json("status")["node"] == "sock", "the first daemon still answers")
        pw.stop()
        check(not os.path.exists(pw.sock), "the socket file is removed at exit")


if __name__ == "__main__":
    main()
