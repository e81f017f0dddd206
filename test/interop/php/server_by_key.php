<?php
// For test/interop/ketama-php.test.ts: prints, as JSON, the index in the server list of the server
// php-memcached picks for each key. Memcached::getServerByKey() only hashes; it connects to nothing.
//
// stdin: {"servers": [["host", port, weight], ...], "before": [[option, value], ...],
//         "after": [[option, value], ...], "keys": [...]}
// Options are Memcached constant names ("OPT_HASH"); a string value is a constant name too
// ("HASH_MD5"). "before" options are set before addServers(), "after" ones after it.

$request = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$memcached = new Memcached();

function setOptions(Memcached $memcached, array $options): void
{
    foreach ($options as [$name, $value]) {
        $value = is_string($value) ? constant("Memcached::$value") : $value;
        if (!$memcached->setOption(constant("Memcached::$name"), $value)) {
            fwrite(STDERR, "setOption($name) failed\n");
            exit(1);
        }
    }
}

setOptions($memcached, $request['before']);
if (!$memcached->addServers($request['servers'])) {
    fwrite(STDERR, "addServers failed\n");
    exit(1);
}
setOptions($memcached, $request['after']);

$index = [];
foreach ($request['servers'] as $i => [$host, $port]) {
    $index["$host:$port"] = $i;
}
$picked = [];
foreach ($request['keys'] as $key) {
    $server = $memcached->getServerByKey($key);
    $picked[] = $index[$server['host'] . ':' . $server['port']];
}
echo json_encode($picked);
