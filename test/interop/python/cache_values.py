"""Writes or reads typed values through a real Python memcached client, for test/interop/python-values.test.ts.

stdin: {"client": "django" | "pylibmc", "port": int, "op": "write" | "read",
        "prefix": str, "version": int,            (django: KEY_PREFIX and VERSION)
        "min_compress_len": int,                  (pylibmc: compress values at least this long)
        "items": [{"key": str, "t": tag, "v": ...}]  (write) or "keys": [str] (read)}
stdout: write -> {"ok": true}; read -> {key: {"t": tag, "v": ...}}

Tags: str (text), bytes (base64), int (decimal text), float (repr text), bool, none, dict (JSON,
written only: Python pickles it), missing (a miss), and on read the Python type name for others.
"""
import base64
import json
import math
import sys

MISSING = object()


def from_tag(item):
    t, v = item["t"], item.get("v")
    if t == "str":
        return v
    if t == "bytes":
        return base64.b64decode(v)
    if t == "int":
        return int(v)
    if t == "float":
        return float(v)
    if t == "bool":
        return bool(v)
    if t == "none":
        return None
    if t == "dict":
        return dict(v)
    raise ValueError("unknown tag " + t)


def to_tag(value):
    if value is MISSING:
        return {"t": "missing"}
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if value is None:
        return {"t": "none"}
    if type(value) is str:
        return {"t": "str", "v": value}
    if type(value) is bytes:
        return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if type(value) is int:
        return {"t": "int", "v": str(value)}
    if type(value) is float:
        text = "nan" if math.isnan(value) else repr(value)
        return {"t": "float", "v": text}
    return {"t": type(value).__name__, "v": repr(value)}


def django_cache(request):
    import django
    from django.conf import settings

    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": "127.0.0.1:%d" % request["port"],
                "KEY_PREFIX": request["prefix"],
                "VERSION": request["version"],
                "TIMEOUT": None,
            }
        }
    )
    django.setup()
    from django.core.cache import cache

    return cache.set, lambda key: cache.get(key, MISSING)


def pylibmc_cache(request):
    import pylibmc

    client = pylibmc.Client(["127.0.0.1:%d" % request["port"]])
    min_compress_len = request.get("min_compress_len", 0)

    def set_value(key, value):
        if not client.set(key, value, min_compress_len=min_compress_len):
            raise RuntimeError("pylibmc did not store " + key)

    def get_value(key):
        value = client.get(key, MISSING)
        return value

    return set_value, get_value


def main():
    request = json.load(sys.stdin)
    factory = {"django": django_cache, "pylibmc": pylibmc_cache}[request["client"]]
    set_value, get_value = factory(request)
    if request["op"] == "write":
        for item in request["items"]:
            set_value(item["key"], from_tag(item))
        json.dump({"ok": True}, sys.stdout)
    else:
        json.dump({key: to_tag(get_value(key)) for key in request["keys"]}, sys.stdout)


if __name__ == "__main__":
    main()
