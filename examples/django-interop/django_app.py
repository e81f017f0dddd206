"""The Django side of the example: Django's own cache API, configured as a Django shop would be.

    python3 django_app.py write          caches the shop's data, as the Django app's views would
    python3 django_app.py read KEY...    prints what Django's cache.get() returns for each KEY, as JSON:
                                         {"KEY": {"type": "int", "value": "16"}, ...}
    python3 django_app.py incr KEY       Django's cache.incr(KEY); prints the new value

Settings come from the same variables the Node service reads (see cache.mjs):
MEMCACHE_SERVERS (one host:port), DJANGO_CACHE_KEY_PREFIX (default "shop"),
DJANGO_CACHE_VERSION (default 3).
"""
import base64
import json
import os
import re
import sys

MISSING = object()


def location():
    servers = os.environ.get("MEMCACHE_SERVERS", "127.0.0.1:11211").strip()
    entries = [entry for entry in re.split(r"[\s,]+", servers) if entry]
    if len(entries) != 1 or "://" in servers:
        # Django's PyMemcacheCache spreads keys with pymemcache's HashClient (rendezvous hashing), which
        # no other client shares: with several servers, Node and Django would look on different ones.
        sys.exit(
            "django_app.py: MEMCACHE_SERVERS must be one host:port for PyMemcacheCache (got %r); "
            "for several servers see README.md" % servers
        )
    return entries[0]


def setup():
    import django
    from django.conf import settings

    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": location(),
                "KEY_PREFIX": os.environ.get("DJANGO_CACHE_KEY_PREFIX", "shop"),
                "VERSION": int(os.environ.get("DJANGO_CACHE_VERSION", "3")),
                "TIMEOUT": 300,
            }
        }
    )
    django.setup()


def write():
    from django.core.cache import cache

    # What the shop's views cache. Structured data goes in as JSON text: a dict would be pickled,
    # and only Python can read a pickle.
    cache.set("product:42", json.dumps({"name": "Earl Grey", "tags": ["tea", "black"]}))
    cache.set("stock:42", 17)
    cache.set("price:42", 12.5)
    cache.set("on-sale", True)
    cache.set("banner", "Soldes d\u2019\u00e9t\u00e9 \u2014 20 % de r\u00e9duction \u2615")
    cache.set("thumbnail:42", b"\x89PNG\r\n\x1a\n\x00\x00")
    cache.set("page-views", 10**20)
    cache.set("discontinued", None)
    # A pickled dict, which memwire refuses to guess at: the check shows the error.
    cache.set("cart:ada", {"items": [42], "total": 12.5})
    return {"ok": True}


def described(value):
    if value is MISSING:
        return {"type": "missing"}
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return {"type": "bool", "value": value}
    if value is None:
        return {"type": "NoneType", "value": None}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, bytes):
        return {"type": "bytes", "value": base64.b64encode(value).decode("ascii")}
    if isinstance(value, int):
        return {"type": "int", "value": str(value)}  # text: JSON numbers lose digits past 2**53
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    return {"type": type(value).__name__, "value": repr(value)}


def read(keys):
    from django.core.cache import cache

    return {key: described(cache.get(key, MISSING)) for key in keys}


def incr(key):
    from django.core.cache import cache

    return {"value": cache.incr(key)}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("write", "read", "incr"):
        sys.exit(__doc__)
    setup()
    command = sys.argv[1]
    if command == "write":
        result = write()
    elif command == "read":
        result = read(sys.argv[2:])
    else:
        result = incr(sys.argv[2])
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
