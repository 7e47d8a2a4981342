#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// An HTTP/2-only TLS front for the stand-in API server (fake_apiserver.py speaks HTTP/1.1):
// every HTTP/2 stream is forwarded as one HTTPS/1.1 request upstream and its response,
// watch streams included, is relayed as it arrives. ALPN offers "h2" alone, so a client that
// did not negotiate HTTP/2 fails its handshake instead of passing unnoticed.
//
//   node h2proxy.js --cert server.crt --key server.key --upstream https://127.0.0.1:PORT \
//       --ca ca.crt --log requests.jsonl
//
// Prints {"port": N} on stdout once listening. Each stream appends one JSON line to --log:
// {"session": S, "method": "GET", "path": "/api/v1/pods?...", "alpn": "h2", "status": 200}
// where S numbers the client's TLS connections, so a test can check multiplexing.
'use strict';

const fs = require('fs');
const http2 = require('http2');
const https = require('https');

function parseArgs(argv) {
	const args = {port: 0};
	for (let i = 2; i < argv.length; i += 2) {
		const key = argv[i].replace(/^--/, '');
		if (i + 1 >= argv.length)
			throw new Error(`missing value for ${argv[i]}`);
		args[key] = argv[i + 1];
	}
	for (const k of ['cert', 'key', 'upstream', 'ca', 'log'])
		if (!args[k])
			throw new Error(`--${k} is required`);
	return args;
}

// Hop-by-hop headers of HTTP/1.1 have no place in HTTP/2 (RFC 9113, 8.2.2).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
	'upgrade', 'host']);

function main() {
	const args = parseArgs(process.argv);
	const upstream = new URL(args.upstream);
	const ca = fs.readFileSync(args.ca);
	const log = fs.createWriteStream(args.log, {flags: 'a'});
	const agent = new https.Agent({keepAlive: true, ca});
	let sessions = 0;

	const server = http2.createSecureServer({
		cert: fs.readFileSync(args.cert),
		key: fs.readFileSync(args.key),
		allowHTTP1: false,
		ALPNProtocols: ['h2'],
	});
	server.on('session', (session) => {
		session.podwallId = ++sessions;
	});
	server.on('stream', (stream, headers) => {
		const entry = {
			session: stream.session.podwallId,
			method: headers[':method'],
			path: headers[':path'],
			alpn: stream.session.alpnProtocol,
		};
		const out = {};
		for (const [k, v] of Object.entries(headers))
			if (!k.startsWith(':') && !HOP_BY_HOP.has(k))
				out[k] = v;
		const req = https.request({
			host: upstream.hostname,
			port: upstream.port,
			method: entry.method,
			path: entry.path,
			headers: out,
			agent,
		});
		req.on('response', (res) => {
			entry.status = res.statusCode;
			log.write(JSON.stringify(entry) + '\n');
			const reply = {':status': res.statusCode};
			for (const [k, v] of Object.entries(res.headers))
				if (!HOP_BY_HOP.has(k))
					reply[k] = v;
			if (stream.destroyed) {
				res.destroy();
				return;
			}
			stream.respond(reply);
			res.pipe(stream);
			res.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
			res.on('aborted', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
		});
		req.on('error', () => {
			// Upstream down or gone mid-response: the client sees a 502 or a reset stream.
			if (stream.destroyed)
				return;
			if (!stream.headersSent) {
				entry.status = 502;
				log.write(JSON.stringify(entry) + '\n');
				stream.respond({':status': 502});
				stream.end();
			} else {
				stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
			}
		});
		// The client gave up on the stream (a watch it closed): stop the upstream request.
		stream.on('close', () => req.destroy());
		stream.on('error', () => req.destroy());
		stream.pipe(req);
	});
	server.listen(Number(args.port), '127.0.0.1', () => {
		process.stdout.write(JSON.stringify({port: server.address().port}) + '\n');
	});
	process.on('SIGTERM', () => process.exit(0));
	process.on('SIGINT', () => process.exit(0));
}

main();
