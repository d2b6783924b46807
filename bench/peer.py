#!/usr/bin/env python3
"""The lifetime scenario (S8) against any FHIR R4 server: compare Carnet with the server you run.

    bench/peer.py BASE_URL TOKEN [--patient ID] [--resources N] [--bundle 500]
                  [--connections 32] [--duration 5s]

BASE_URL is the FHIR base (https://fhir.example.org/fhir/R4, http://127.0.0.1:8080/fhir/r4);
TOKEN a bearer token that may create Observations for the patient ("" for none). Without
--patient a Patient is created. The scenario, as a person's connected devices fill their
record over ten years (a body weight 95 times in 100, a heart rate 5 times, a height now
and then):

  populate  --resources Observations (default 20,000) posted as transaction Bundles of
            --bundle entries, in time order (a device's history); the time of every Bundle
            is kept: the first and the last tell whether imports slow down as the record
            fills;
  read      GET Observation/{id};
  search    GET Observation?patient=X&code=http://loinc.org|8867-4&_count=25, and the same
            newest first (_sort=-date);
  create    POST Observation, a body weight.

Loads are run by wrk (Debian package wrk) at --connections; every figure is printed as
requests/s and p50/p99 latency. Only Python's standard library is used.
    bench/peer.py ingest [--bundle 500] [--start EPOCH] -- BASE_URL TOKEN PATIENT BUNDLES
posts BUNDLES transaction Bundles of readings an hour apart from --start only, and prints
the seconds each took (bench/lifetime).

A token that begins with "-" goes after "--" (options first), or argparse takes it for an
option: bench/peer.py [options] -- BASE_URL TOKEN.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
KINDS = [("29463-7", "Body weight", "kg", 50, 100), ("8867-4", "Heart rate", "/min", 50, 110),
         ("8302-2", "Body height", "cm", 150, 200)]


def observation(patient, rng, kind=None, when=None):
    """A reading at `when` (seconds since the epoch), or at a random time of 2016-2025."""
    if kind is None:
        pick = rng.randrange(1000)
        kind = 0 if pick < 950 else 1 if pick < 999 else 2
    code, display, unit, low, high = KINDS[kind]
    if when is None:
        when = 1451606400 + rng.randrange(3650 * 86400)
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    return {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": "Patient/" + patient},
        "effectiveDateTime": when,
        "valueQuantity": {"value": rng.randrange(low, high), "unit": unit, "system": UCUM, "code": unit},
    }


class Server:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def headers(self):
        h = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        return h

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/" + path.lstrip("/"), data=data, method=method,
                                     headers=self.headers())
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise SystemExit("peer: %s %s answered %d: %s" % (method, path, e.code, e.read()[:500].decode(errors="replace")))

    def bundle(self, patient, n, rng, start=None):
        """A transaction of n readings, an hour apart from `start` (a device's upload), or at
        random times when start is None."""
        entries = [{"fullUrl": "urn:uuid:%s" % uuid.UUID(int=rng.getrandbits(128)),
                    "resource": observation(patient, rng, None, None if start is None else start + 3600 * i),
                    "request": {"method": "POST", "url": "Observation"}} for i in range(n)]
        started = time.monotonic()
        status, answer = self.call("POST", "", {"resourceType": "Bundle", "type": "transaction", "entry": entries})
        elapsed = time.monotonic() - started
        ids = [e.get("response", {}).get("location", "").split("/")[1] for e in answer.get("entry", [])
               if e.get("response", {}).get("location", "").startswith("Observation/")]
        if status != 200 or len(ids) != n:
            raise SystemExit("peer: a transaction of %d Observations was not stored whole" % n)
        return elapsed, ids


def wrk(url, token, connections, duration, body=None):
    """requests/s, p50, p99 of a wrk run (a POST of `body` when given)."""
    args = ["wrk", "-t2", "-c%d" % connections, "-d%s" % duration, "--timeout", "30s", "--latency"]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    script = None
    if body is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write("wrk.method = \"POST\"\nwrk.body = %s\nwrk.headers[\"Content-Type\"] = \"application/fhir+json\"\n"
                     % json.dumps(json.dumps(body)))
        script.close()
        args += ["-s", script.name]
    try:
        out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    finally:
        if script:
            os.unlink(script.name)
    if "Non-2xx" in out:
        raise SystemExit("peer: non-2xx answers for " + url + "\n" + out)
    rps = next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec"))
    lat = {l.split()[0]: l.split()[1] for l in out.splitlines() if l.strip().startswith(("50%", "99%"))}
    return float(rps), lat.get("50%", "?"), lat.get("99%", "?")


def ingest(server, patient, bundles, size, rng, start):
    """Bundles of readings in time order from `start`, as a device uploads its history."""
    times = []
    for b in range(bundles):
        elapsed, _ = server.bundle(patient, size, rng, start + b * size * 3600)
        times.append(elapsed)
        print("%.3f" % elapsed, flush=True)
    return times


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "ingest":
        p = argparse.ArgumentParser(prog="peer.py ingest")
        p.add_argument("verb")
        for a in ("base", "token", "patient"):
            p.add_argument(a)
        p.add_argument("bundles", type=int)
        p.add_argument("--bundle", type=int, default=500)
        p.add_argument("--start", type=int, default=int(time.time()), help="time of the first reading (epoch seconds)")
        a = p.parse_args()
        ingest(Server(a.base, a.token), a.patient, a.bundles, a.bundle, random.Random(), a.start)
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base")
    p.add_argument("token")
    p.add_argument("--patient")
    p.add_argument("--resources", type=int, default=20000)
    p.add_argument("--bundle", type=int, default=500)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--duration", default="5s")
    a = p.parse_args()
    server = Server(a.base, a.token)
    rng = random.Random(42)
    patient = a.patient
    if not patient:
        _, created = server.call("POST", "Patient", {"resourceType": "Patient", "name": [{"family": "Peer", "given": ["Bench"]}]})
        patient = created["id"]
    print("populating Patient/%s with %d Observations in transactions of %d" % (patient, a.resources, a.bundle))
    bundles = max(1, a.resources // a.bundle)
    times, sample = [], None
    start = int(time.time()) - a.resources * 3600 * 4  # the readings of the last years, in order
    for i in range(bundles):
        elapsed, ids = server.bundle(patient, a.bundle, rng, start + i * a.bundle * 3600 * 4)
        times.append(elapsed)
        sample = sample or ids[0]
        if i in (0, bundles - 1) or (i + 1) % 10 == 0:
            print("  bundle %d/%d: %.2f s (%.0f Observations/s)" % (i + 1, bundles, elapsed, a.bundle / elapsed), flush=True)
    print("ingest: %.0f Observations/s in all; first bundle %.0f/s, last %.0f/s (last/first time %.2f)"
          % (bundles * a.bundle / sum(times), a.bundle / times[0], a.bundle / times[-1], times[-1] / times[0]))
    base = server.base
    code = "patient=Patient/%s&code=%s%%7C8867-4&_count=25" % (patient, LOINC)
    runs = [("read", base + "/Observation/" + sample, None),
            ("code search", base + "/Observation?" + code, None),
            ("code search -date", base + "/Observation?" + code + "&_sort=-date", None),
            ("create weight", base + "/Observation", observation(patient, rng, 0))]
    print("%-18s | %10s %9s %9s   (wrk -t2 -c%d, %s)" % ("", "req/s", "p50", "p99", a.connections, a.duration))
    for name, url, body in runs:
        wrk(url, a.token, a.connections, "1s", body)  # warm-up, not measured
        rps, p50, p99 = wrk(url, a.token, a.connections, a.duration, body)
        print("%-18s | %10.0f %9s %9s" % (name, rps, p50, p99), flush=True)


if __name__ == "__main__":
    main()
