/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The operator socket protocol: newline-delimited JSON over a Unix stream socket.
 *
 * Request, one line: {"cmd": "<command>", ...arguments}
 * Reply, one line:   {"ok": true, "cmd": "<command>", "result": {...}}
 *               or:  {"ok": false, "error": {"code": "<code>", "message": "<text>"}}
 *
 * Error codes: "bad_request" (not JSON, not an object, no string "cmd", bad arguments),
 * "too_large" (line longer than PW_PROTO_MAX_REQUEST; the rest of the line is discarded),
 * "unknown_command", "internal". A connection stays usable after any error.
 *
 * Commands:
 *   help    result: {"commands": [{"cmd": "...", "help": "..."}]}
 *   status  result: {"version", "node", "pid", "uptime_s", "hugepages": bool,
 *                    "forwarding": "wire"|"bridge", "burst_size",
 *                    "lcores": [{"lcore", "role": "main"|"worker", "worker",
 *                                "rx": [{"port", "queue"}]}],
 *                    "ports": [{"id", "name", "device", "driver", "role", "mac",
 *                               "link": {"up", "speed_mbps", "duplex"},
 *                               "rx_queues", "tx_queues"}],
 *                    "policy": {"source", "sync_state": "waiting"|"synced"|"stale",
 *                               "before_sync", "generation", "last_sync_age_s"}}
 *   stats   result: {"ports":  [{"id", "name", "rx_packets", "rx_bytes", "tx_packets",
 *                               "tx_bytes", "drops": {"<reason>": n, ...},
 *                               "nic": {"ipackets", "opackets", "imissed", "ierrors",
 *                                       "oerrors", "rx_nombuf"}}],
 *                    "lcores": [{"lcore", "worker", "rx_packets", "rx_bytes", "tx_packets",
 *                                "tx_bytes", "drops": {...}, "polls", "busy_polls",
 *                                "busy_cycles", "cycles_per_packet", "tsc_hz"}],
 *                    "drops": {"<reason>": n, ...}   (totals, non-zero reasons only),
 *                    "totals": {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
 *                               "dropped"},
 *                    "conntrack": {"enabled", "capacity", "active", "created", "expired",
 *                                  "evicted", "table_full", "revalidated", "revoked"}}
 *           (each lcore has its own "conntrack" object too, without enabled and capacity)
 *   stats-reset  zero all counters (as seen by readers; conntrack's active stays); result: {}
 *   flows   arguments: "ip", "port" (either end of a flow), "limit" (1..1000, default 1000)
 *           result: {"enabled", "capacity", "active", "count", "truncated",
 *                    "flows": [{"worker", "proto", "src", "sport", "dst", "dport", "state",
 *                               "replied", "revoked", "generation", "age_s", "idle_s",
 *                               "expires_s", "packets": {"orig", "reply"},
 *                               "bytes": {"orig", "reply"}}]}
 *           src is the flow's originator (control/cmds_flows.c)
 */
#ifndef PW_PROTO_H
#define PW_PROTO_H

#define PW_PROTO_MAX_REQUEST 65536 /**< bytes in one request line, newline excluded */
#define PW_PROTO_MAX_CLIENTS 16	   /**< default cap on simultaneous connections */
#define PW_PROTO_DEFAULT_SOCKET "/run/podwall/podwall.sock"

#define PW_PROTO_ERR_BAD_REQUEST "bad_request"
#define PW_PROTO_ERR_TOO_LARGE "too_large"
#define PW_PROTO_ERR_UNKNOWN_COMMAND "unknown_command"
#define PW_PROTO_ERR_INTERNAL "internal"

#endif /* PW_PROTO_H */
