#!/usr/bin/env python3
"""A stand-in for an SMS provider's HTTP API, for tests: accepts POST with a JSON body and a
bearer token, appends the body as one line to a file, answers 202. Usage:
fake_sms_gateway.py PORT_FILE OUTPUT_FILE TOKEN (binds a free port on 127.0.0.1 and writes it
to PORT_FILE)."""
import http.server, json, sys

port_file, output, token = sys.argv[1], sys.argv[2], sys.argv[3]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        if self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401); self.end_headers(); return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        json.loads(body)
        with open(output, "ab") as f:
            f.write(body + b"\n")
        self.send_response(202); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
