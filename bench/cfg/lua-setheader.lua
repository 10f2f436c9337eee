-- bench/cfg/lua-setheader.lua: the Lua action of bench/lua.sh. It sets
-- the header that bench/cfg/lua-native.cfg sets with a native rule, so
-- that the two differ only in how the header is set. Loaded by proxyd
-- with "lua-load" (bench/cfg/lua-proxyd.cfg) and by haproxy with
-- "lua-load-per-thread" (bench/cfg/lua-haproxy.cfg); called once per
-- request by "http-request lua.setheader".

core.register_action("setheader", { "http-req" }, function(txn)
    txn.http:req_set_header("X-Bench", "hello")
end)
