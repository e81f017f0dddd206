<?php
// Writes or reads typed values through php-memcached, for test/interop/php-values.test.ts.
//
// stdin: {"port": int, "op": "write" | "read", "compression": "fastlz" | "zlib" (default: the ini's),
//         "threshold": int (memcached.compression_threshold), "serializer": "php" | "json_array",
//         "items": [{"key": string, "t": tag, "v": ...}] (write) or "keys": [string] (read)}
// stdout: write -> {"ok": true}; read -> {key: {"t": tag, "v": ...}}
//
// Tags: string (base64 of the bytes: PHP strings are bytes), int (decimal text), float ("1.5", "INF",
// "-INF", "NAN", "-0"), bool, null, array (JSON; written with PHP's serializer), object (stdClass, read
// only, as JSON), missing, error (the result message).

function from_tag(array $item) {
    $v = $item['v'] ?? null;
    switch ($item['t']) {
        case 'string': return base64_decode($v, true);
        case 'int': return intval($v);
        case 'float':
            if ($v === 'INF') return INF;
            if ($v === '-INF') return -INF;
            if ($v === 'NAN') return NAN;
            return floatval($v);
        case 'bool': return (bool) $v;
        case 'null': return null;
        case 'array': return $v;
    }
    throw new Exception('unknown tag ' . $item['t']);
}

function to_tag($value, Memcached $m): array {
    if ($m->getResultCode() === Memcached::RES_NOTFOUND) return ['t' => 'missing'];
    if ($m->getResultCode() !== Memcached::RES_SUCCESS) return ['t' => 'error', 'v' => $m->getResultMessage()];
    if (is_string($value)) return ['t' => 'string', 'v' => base64_encode($value)];
    if (is_int($value)) return ['t' => 'int', 'v' => (string) $value];
    if (is_float($value)) {
        if (is_nan($value)) return ['t' => 'float', 'v' => 'NAN'];
        if (is_infinite($value)) return ['t' => 'float', 'v' => $value > 0 ? 'INF' : '-INF'];
        return ['t' => 'float', 'v' => sprintf('%.17g', $value)];
    }
    if (is_bool($value)) return ['t' => 'bool', 'v' => $value];
    if ($value === null) return ['t' => 'null'];
    if (is_array($value)) return ['t' => 'array', 'v' => $value];
    return ['t' => 'object', 'v' => $value];
}

$request = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
if (isset($request['threshold'])) ini_set('memcached.compression_threshold', (string) $request['threshold']);
$m = new Memcached();
$m->addServer('127.0.0.1', $request['port']);
if (isset($request['compression'])) {
    $type = ['fastlz' => Memcached::COMPRESSION_FASTLZ, 'zlib' => Memcached::COMPRESSION_ZLIB][$request['compression']];
    $m->setOption(Memcached::OPT_COMPRESSION_TYPE, $type);
}
if (($request['serializer'] ?? 'php') === 'json_array') {
    $m->setOption(Memcached::OPT_SERIALIZER, Memcached::SERIALIZER_JSON_ARRAY);
}

if ($request['op'] === 'write') {
    foreach ($request['items'] as $item) {
        if (!$m->set($item['key'], from_tag($item))) {
            fwrite(STDERR, "set {$item['key']}: {$m->getResultMessage()}\n");
            exit(1);
        }
    }
    echo json_encode(['ok' => true]);
} else {
    $out = [];
    foreach ($request['keys'] as $key) {
        // A value php-memcached cannot decode warns on stderr and reads as false with an error code.
        $value = @$m->get($key);
        $out[$key] = to_tag($value, $m);
    }
    echo json_encode($out, JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION);
}
