"""Stores or reads keys through pylibmc's own ring, for test/interop/ketama.test.ts.

Reads one JSON object on stdin:
  {"mode": "set" | "get", "servers": ["127.0.0.1:40001:2", ...], "behaviors": {...}, "keys": [...]}
and prints one JSON object on stdout:
  set: {"failed": [keys pylibmc could not store]}   each key is stored with its UTF-8 text as value
  get: {"missing": [keys not found], "wrong": [keys whose value is not their UTF-8 text]}

Server strings are handed to pylibmc as written ("host:port[:weight]"), so the hosts hash exactly
as the test spells them. Values are bytes, which pylibmc stores with flags 0 and returns as bytes.
"""

import json
import sys

import pylibmc

BATCH = 200


def batches(keys):
    for start in range(0, len(keys), BATCH):
        yield keys[start:start + BATCH]


def main():
    request = json.load(sys.stdin)
    client = pylibmc.Client(request["servers"], behaviors=request["behaviors"])
    keys = request["keys"]
    if request["mode"] == "set":
        failed = []
        for batch in batches(keys):
            failed.extend(client.set_multi({key: key.encode() for key in batch}))
        result = {"failed": sorted(failed)}
    else:
        found = {}
        for batch in batches(keys):
            found.update(client.get_multi(batch))
        result = {
            "missing": [key for key in keys if key not in found],
            "wrong": [key for key in keys if key in found and found[key] != key.encode()],
        }
    client.disconnect_all()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
