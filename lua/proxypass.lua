-- proxypass.lua: Apache mod_proxy's ProxyPass, ProxyPassReverse,
-- ProxyPassReverseCookieDomain and ProxyPassReverseCookiePath as HTTP
-- actions, for configurations migrated from Apache.
--
-- Runs unchanged on HAProxy (2.6 and later, Lua 5.3) and on proxyd
-- (Lua 5.4). It uses only the HTTP actions API (txn.sf, txn.http:req_* and
-- res_*, txn:get_var/set_var); it does not choose the server: route the
-- request to the backend with use_backend as usual.
--
-- Configuration (the Apache directive each line replaces is above it):
--
--   global
--       lua-load /usr/share/proxyd/lua/proxypass.lua
--   backend bk_myapp
--       # ProxyPass /mirror/foo/ http://bk.dom.com/
--       http-request  lua.proxypass /mirror/foo/ http://bk.dom.com/
--       # ProxyPassReverse /mirror/foo/ http://bk.dom.com/
--       http-response lua.proxypass_reverse /mirror/foo/ http://bk.dom.com/
--       # ProxyPassReverseCookieDomain bk.dom.com dom.com
--       http-response lua.proxypass_reverse_cookie_domain bk.dom.com dom.com
--       # ProxyPassReverseCookiePath / /mirror/foo/
--       http-response lua.proxypass_reverse_cookie_path / /mirror/foo/
--       server s1 192.0.2.10:80
--
-- lua.proxypass PUBLIC-PATH BACKEND-URL   (http-request)
--   When the request path starts with PUBLIC-PATH (mod_proxy's matching:
--   a "/" in PUBLIC-PATH matches one or more "/" in the request; without a
--   trailing "/", PUBLIC-PATH must end on a path segment boundary, so
--   "/mirror/foo" matches "/mirror/foo" and "/mirror/foo/x" but not
--   "/mirror/foobar"; with one, "/mirror/foo/" does not match
--   "/mirror/foo"), the matched part is replaced by BACKEND-URL's path
--   (the rest is appended as it is, as mod_proxy does: keep the trailing
--   slashes of both arguments alike) and the Host header is set to
--   BACKEND-URL's host (and port, unless it is the scheme's default).
--   The query string is kept. BACKEND-URL "!" excludes PUBLIC-PATH, as
--   "ProxyPass /path !" does. As in Apache, the first lua.proxypass that
--   matches (or excludes) wins: later ones do nothing for that request
--   (the variable txn.proxypass holds the PUBLIC-PATH that matched).
--
-- lua.proxypass_reverse PUBLIC-PATH BACKEND-URL   (http-response)
--   Location, Content-Location and URI response headers whose value starts
--   with BACKEND-URL (scheme and host compared without case, a default
--   port written or not, the path compared exactly) get that part replaced
--   by PUBLIC-PATH: "http://bk.dom.com/bar/login" becomes
--   "/mirror/foo/bar/login", which the browser resolves against the public
--   URL it asked for, so the public scheme and host are kept. Other values
--   (other hosts, relative references) are left as they are.
--
-- lua.proxypass_reverse_cookie_domain BACKEND-DOMAIN PUBLIC-DOMAIN
--   (http-response) Every Set-Cookie header whose Domain attribute is
--   BACKEND-DOMAIN or one of its subdomains (without case; a leading dot
--   ignored) gets PUBLIC-DOMAIN as its Domain.
--
-- lua.proxypass_reverse_cookie_path BACKEND-PATH PUBLIC-PATH
--   (http-response) Every Set-Cookie header whose Path attribute starts
--   with BACKEND-PATH (compared exactly) gets that part replaced by
--   PUBLIC-PATH: with "/ /mirror/foo/", "Path=/" becomes
--   "Path=/mirror/foo/" and "Path=/app" becomes "Path=/mirror/foo/app".
--
-- Limits and differences from mod_proxy:
--   - the request path is matched as received (not %-decoded or
--     normalised); the scheme of BACKEND-URL is used only for matching and
--     for the default port: the server line decides whether proxyd speaks
--     TLS to the server;
--   - mod_proxy makes a rewritten Location absolute with its own server
--     name and scheme; these actions write the public path alone (as the
--     HAProxy blog's rspirep rules do), which browsers resolve the same way;
--   - BACKEND-URL matches in response headers only on a whole host: with
--     "http://bk.dom.com", "http://bk.dom.com.example/" is not rewritten
--     (mod_proxy compares bare strings and would);
--   - a cookie Domain must equal BACKEND-DOMAIN or end with
--     ".BACKEND-DOMAIN" (mod_proxy takes any suffix: "notbk.dom.com");
--   - a header that is rewritten is removed and added back (all its lines,
--     in their order), so it moves to the end of the head, as
--     "http-response set-header" does;
--   - several cookie rules are applied one after the other, each to the
--     result of the one before: give the most specific first.

local ACTIONS_REQ = { "http-req" }
local ACTIONS_RES = { "http-res" }

-- Messages already logged, so that a misconfiguration is reported once,
-- not on every request.
local warned = {}

local function warn_once(msg)
    if not warned[msg] then
        warned[msg] = true
        core.Warning("proxypass.lua: " .. msg)
    end
end

local DEFAULT_PORT = { http = "80", https = "443", ws = "80", wss = "443" }

-- Splits an absolute URL into lower-case scheme, authority (lower-case
-- host, default port left out) and the rest (path, query, fragment: "" or
-- starting with "/", "?" or "#"). Returns nil for anything else.
local function split_url(url)
    local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")
    if not scheme then
        return nil
    end
    scheme = scheme:lower()
    local userinfo, hostport = authority:match("^(.*@)(.*)$")
    if not userinfo then
        userinfo, hostport = "", authority
    end
    local host, port = hostport:match("^(.-):(%d*)$")
    if not host then
        host, port = hostport, ""
    end
    host = host:lower()
    if port == DEFAULT_PORT[scheme] then
        port = ""
    end
    local norm = userinfo .. host
    if port ~= "" then
        norm = norm .. ":" .. port
    end
    return scheme, norm, rest, host, port
end

-- Parsed BACKEND-URL arguments, by argument string.
local backends = {}

local function parse_backend(url)
    local b = backends[url]
    if b == nil then
        local scheme, authority, rest, host, port = split_url(url)
        if not scheme or rest:find("[?#]") then
            warn_once("'" .. url .. "' is not a URL like http://host[:port]/path (no query): ignored")
            b = false
        else
            local hosthdr = host
            if port ~= "" then
                hosthdr = host .. ":" .. port
            end
            b = { scheme = scheme, authority = authority, path = rest, host = hosthdr }
        end
        backends[url] = b
    end
    return b
end

-- mod_proxy's alias_match(): how many bytes at the start of PATH the
-- public prefix ALIAS matches, or nil. A "/" in ALIAS matches a run of
-- one or more "/" in PATH; when ALIAS does not end with "/", the match
-- must end at the end of PATH or before a "/".
local function alias_match(path, alias)
    local pi, ai = 1, 1
    local plen, alen = #path, #alias
    while ai <= alen do
        local ac = alias:byte(ai)
        local pc = path:byte(pi)
        if ac == 47 then
            if pc ~= 47 then
                return nil
            end
            while ai <= alen and alias:byte(ai) == 47 do
                ai = ai + 1
            end
            while pi <= plen and path:byte(pi) == 47 do
                pi = pi + 1
            end
        else
            if pc ~= ac then
                return nil
            end
            pi = pi + 1
            ai = ai + 1
        end
    end
    if alen > 0 and alias:byte(alen) ~= 47 and pi <= plen and path:byte(pi) ~= 47 then
        return nil
    end
    return pi - 1
end

local function proxypass(txn, public, backend_url)
    if txn.http == nil or public == nil or backend_url == nil then
        return
    end
    -- Only the first matching lua.proxypass applies.
    if txn:get_var("txn.proxypass") ~= nil then
        return
    end
    local path = txn.sf:path()
    if path == nil or path == "" then
        return
    end
    local matched = alias_match(path, public)
    if not matched then
        return
    end
    if backend_url == "!" then
        txn:set_var("txn.proxypass", public)
        return
    end
    local b = parse_backend(backend_url)
    if not b then
        return
    end
    if (public:sub(-1) == "/") ~= (b.path:sub(-1) == "/") then
        warn_once("'" .. public .. "' and '" .. backend_url ..
                  "' do not both end with '/': paths may lose or double a '/'")
    end
    local newpath = b.path .. path:sub(matched + 1)
    if newpath == "" then
        newpath = "/"
    elseif newpath:sub(1, 1) ~= "/" then
        newpath = "/" .. newpath
    end
    txn:set_var("txn.proxypass", public)
    txn.http:req_set_path(newpath)
    txn.http:req_set_header("Host", b.host)
end

-- Calls FN on each value of response header NAME; when FN changed one,
-- replaces all the lines of NAME with the new values, in their order.
local function rewrite_res_header(http, name, fn)
    local hdrs = http:res_get_headers()
    local values = hdrs[name:lower()]
    if values == nil then
        return
    end
    local out, changed = {}, false
    local i = 0
    while values[i] ~= nil do
        local v = values[i]
        local nv = fn(v)
        if nv ~= nil and nv ~= v then
            changed = true
        else
            nv = v
        end
        out[#out + 1] = nv
        i = i + 1
    end
    if changed then
        http:res_del_header(name)
        for _, v in ipairs(out) do
            http:res_add_header(name, v)
        end
    end
end

local REVERSE_HEADERS = { "Location", "Content-Location", "URI" }

local function proxypass_reverse(txn, public, backend_url)
    if txn.http == nil or public == nil or backend_url == nil then
        return
    end
    local b = parse_backend(backend_url)
    if not b then
        return
    end
    local function map(value)
        local scheme, authority, rest = split_url(value)
        if scheme ~= b.scheme or authority ~= b.authority then
            return nil
        end
        if rest:sub(1, #b.path) ~= b.path then
            return nil
        end
        return public .. rest:sub(#b.path + 1)
    end
    for _, name in ipairs(REVERSE_HEADERS) do
        rewrite_res_header(txn.http, name, map)
    end
end

-- Rewrites the value of every attribute named ATTR (lower-case) of a
-- Set-Cookie value with FN (value -> new value or nil). The cookie's own
-- name=value pair is never taken for an attribute, and everything but the
-- rewritten values is kept byte for byte.
local function rewrite_cookie_attr(cookie, attr, fn)
    local parts = {}
    local changed = false
    local first = true
    for seg in (cookie .. ";"):gmatch("([^;]*);") do
        if not first then
            local lead, name, eq, value, trail = seg:match("^(%s*)([^=]-)(%s*=%s*)(.-)(%s*)$")
            if lead and name:lower() == attr then
                local nv = fn(value)
                if nv ~= nil and nv ~= value then
                    seg = lead .. name .. eq .. nv .. trail
                    changed = true
                end
            end
        end
        first = false
        parts[#parts + 1] = seg
    end
    if not changed then
        return nil
    end
    return table.concat(parts, ";")
end

local function cookie_domain(txn, backend_domain, public_domain)
    if txn.http == nil or backend_domain == nil or public_domain == nil then
        return
    end
    local internal = backend_domain:lower():gsub("^%.", "")
    local suffix = "." .. internal
    local function map(domain)
        local d = domain:lower():gsub("^%.", "")
        if d == internal or d:sub(-#suffix) == suffix then
            return public_domain
        end
        return nil
    end
    rewrite_res_header(txn.http, "Set-Cookie", function(cookie)
        return rewrite_cookie_attr(cookie, "domain", map)
    end)
end

local function cookie_path(txn, backend_path, public_path)
    if txn.http == nil or backend_path == nil or public_path == nil then
        return
    end
    local function map(path)
        if path:sub(1, #backend_path) == backend_path then
            return public_path .. path:sub(#backend_path + 1)
        end
        return nil
    end
    rewrite_res_header(txn.http, "Set-Cookie", function(cookie)
        return rewrite_cookie_attr(cookie, "path", map)
    end)
end

core.register_action("proxypass", ACTIONS_REQ, proxypass, 2)
core.register_action("proxypass_reverse", ACTIONS_RES, proxypass_reverse, 2)
core.register_action("proxypass_reverse_cookie_domain", ACTIONS_RES, cookie_domain, 2)
core.register_action("proxypass_reverse_cookie_path", ACTIONS_RES, cookie_path, 2)
