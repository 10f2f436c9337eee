-- redirect_https.lua: keeps TLS clients on TLS when the proxy offloads it.
-- A server behind the offloader sees plain HTTP, so its redirects say
-- "Location: http://host[:80]/..." and would take the browser off the
-- secure connection (the HAProxy blog's "SSL offloading impact on web
-- applications": rspirep ^Location:\ http://(.*):80(.*)
-- Location:\ https://\1:443\2 if { ssl_fc }). This action rewrites them
-- to "https://host/...".
--
-- Runs unchanged on HAProxy (2.6 and later, Lua 5.3) and on proxyd
-- (Lua 5.4).
--
-- Configuration:
--
--   global
--       lua-load /usr/share/proxyd/lua/redirect_https.lua
--   frontend ft_www
--       bind :443 ssl crt server.pem
--       http-response lua.redirect_https
--       # or only for some names (and the server's own port 8080):
--       http-response lua.redirect_https_hosts www.domain.com,*.domain.com,www.domain.com:8080
--
-- lua.redirect_https   (http-response, no argument)
--   On a TLS connection (ssl_fc), a Location header
--   "http://HOST/...", "http://HOST:80/..." (or with nothing after HOST)
--   becomes "https://HOST/...": scheme changed, port 80 dropped, the rest
--   kept byte for byte. The scheme is recognised in any case. Other ports
--   are left alone: they are other services, not the one this proxy
--   offers on 443. On a clear connection nothing changes, so the rule
--   needs no "if { ssl_fc }".
--
-- lua.redirect_https_hosts HOSTS   (http-response)
--   The same, only for the host names in HOSTS, separated by commas and
--   compared without case: "www.domain.com" (with no port or port 80),
--   "*.domain.com" (any name ending in ".domain.com"), and
--   "www.domain.com:8080" (that port too, dropped in the new Location:
--   for servers that announce their own port).
--
-- Limits: only Location is rewritten (not Content-Location, Refresh, or
-- links in bodies). When it is rewritten it is removed and added back, so
-- it moves to the end of the head, as with "http-response set-header".

local ACTIONS_RES = { "http-res" }

-- Parsed HOSTS arguments: { exact = { "host" or "host:port" = true },
-- suffixes = { { suffix = ".domain.com", port = "" or "8080" } } }.
local host_lists = {}

local function parse_hosts(spec)
    local list = host_lists[spec]
    if list ~= nil then
        return list
    end
    list = { exact = {}, suffixes = {} }
    for item in spec:gmatch("[^,%s]+") do
        item = item:lower()
        local host, port = item:match("^(.-):(%d+)$")
        if not host then
            host, port = item, ""
        end
        if port == "80" then
            port = ""
        end
        if host:sub(1, 2) == "*." then
            list.suffixes[#list.suffixes + 1] = { suffix = host:sub(2), port = port }
        else
            list.exact[host .. ":" .. port] = true
        end
    end
    host_lists[spec] = list
    return list
end

local function host_allowed(list, host, port)
    if list.exact[host .. ":" .. port] then
        return true
    end
    for _, s in ipairs(list.suffixes) do
        if s.port == port and #host > #s.suffix and host:sub(-#s.suffix) == s.suffix then
            return true
        end
    end
    return false
end

-- Returns the https form of LOCATION, or nil when it is not to change.
local function to_https(location, list)
    local scheme, authority, rest = location:match("^(%a+)://([^/?#]*)(.*)$")
    if not scheme or scheme:lower() ~= "http" then
        return nil
    end
    local userinfo, hostport = authority:match("^(.*@)(.*)$")
    if not userinfo then
        userinfo, hostport = "", authority
    end
    local host, port = hostport:match("^(.-):(%d*)$")
    if not host then
        host, port = hostport, ""
    end
    if port == "80" then
        port = ""
    end
    if host == "" then
        return nil
    end
    if list then
        if not host_allowed(list, host:lower(), port) then
            return nil
        end
    elseif port ~= "" then
        return nil
    end
    return "https://" .. userinfo .. host .. rest
end

local function redirect_https(txn, list)
    local http = txn.http
    if http == nil or txn.sf:ssl_fc() ~= "1" then
        return
    end
    local values = http:res_get_headers()["location"]
    if values == nil then
        return
    end
    local out, changed = {}, false
    local i = 0
    while values[i] ~= nil do
        local v = values[i]
        local nv = to_https(v, list)
        if nv ~= nil then
            changed = true
            v = nv
        end
        out[#out + 1] = v
        i = i + 1
    end
    if changed then
        http:res_del_header("Location")
        for _, v in ipairs(out) do
            http:res_add_header("Location", v)
        end
    end
end

core.register_action("redirect_https", ACTIONS_RES, function(txn)
    redirect_https(txn, nil)
end, 0)

core.register_action("redirect_https_hosts", ACTIONS_RES, function(txn, hosts)
    if hosts ~= nil then
        redirect_https(txn, parse_hosts(hosts))
    end
end, 1)
