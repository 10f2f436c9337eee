-- ssl_headers.lua: passes the client's TLS connection and certificate to
-- the application in request headers, as the HAProxy blog's "SSL client
-- certificate information in HTTP headers and logs" does with seven
-- "http-request set-header X-SSL... %[ssl_...]" lines, in one action.
--
-- Runs unchanged on HAProxy (2.6 and later, Lua 5.3) and on proxyd
-- (Lua 5.4).
--
-- Configuration:
--
--   global
--       lua-load /usr/share/proxyd/lua/ssl_headers.lua
--   frontend ft_www
--       bind :80 name http
--       bind :443 name https ssl crt server.pem ca-file ca.crt verify required
--       http-request lua.ssl_headers
--       default_backend bk_www
--
-- lua.ssl_headers            (http-request, no argument)
-- lua.ssl_headers_unquoted   (http-request, no argument)
--   First removes any of the headers below that the client sent (so that
--   nobody can forge them on a clear connection). Then, when the
--   connection is TLS (ssl_fc), sets:
--     X-SSL: 1
--     X-SSL-Client-Verify: ssl_c_verify (0 when the certificate verified)
--   and, when the client presented a certificate (ssl_c_used):
--     X-SSL-Client-DN: "ssl_c_s_dn"           (the subject, one-line form)
--     X-SSL-Client-CN: "ssl_c_s_dn(cn)"
--     X-SSL-Issuer: "ssl_c_i_dn"
--     X-SSL-Client-NotBefore: "ssl_c_notbefore"   (YYMMDDhhmmssZ)
--     X-SSL-Client-NotAfter: "ssl_c_notafter"
--   lua.ssl_headers writes these five in double quotes, as the blog's
--   %{+Q} shows them (and as proxyd's own %{+Q} does); a '"' or '\' inside
--   is escaped with '\'. lua.ssl_headers_unquoted writes the bare values.
--   On a clear connection no header is added: their absence says "not TLS".
--
-- Limits: the headers are added at the end of the head, in the order
-- above. A byte below 0x20 or 0x7f in a certificate field (which OpenSSL
-- normally escapes already) is written as \xHH, so that it can never end
-- the header line.

local ACTIONS_REQ = { "http-req" }

local NAMES = {
    "X-SSL", "X-SSL-Client-Verify", "X-SSL-Client-DN", "X-SSL-Client-CN",
    "X-SSL-Issuer", "X-SSL-Client-NotBefore", "X-SSL-Client-NotAfter",
}

local function safe(value)
    if value == nil then
        return ""
    end
    value = tostring(value)
    return (value:gsub("[%c]", function(c)
        return string.format("\\x%02X", c:byte())
    end))
end

local function quote(value)
    return '"' .. safe(value):gsub('[\\"]', "\\%0") .. '"'
end

local function bare(value)
    return safe(value)
end

local function ssl_headers(txn, fmt)
    local http = txn.http
    if http == nil then
        return
    end
    for _, name in ipairs(NAMES) do
        http:req_del_header(name)
    end
    if txn.sf:ssl_fc() ~= "1" then
        return
    end
    http:req_add_header("X-SSL", "1")
    http:req_add_header("X-SSL-Client-Verify", safe(txn.sf:ssl_c_verify()))
    if txn.sf:ssl_c_used() ~= "1" then
        return
    end
    http:req_add_header("X-SSL-Client-DN", fmt(txn.sf:ssl_c_s_dn()))
    http:req_add_header("X-SSL-Client-CN", fmt(txn.sf:ssl_c_s_dn("cn")))
    http:req_add_header("X-SSL-Issuer", fmt(txn.sf:ssl_c_i_dn()))
    http:req_add_header("X-SSL-Client-NotBefore", fmt(txn.sf:ssl_c_notbefore()))
    http:req_add_header("X-SSL-Client-NotAfter", fmt(txn.sf:ssl_c_notafter()))
end

core.register_action("ssl_headers", ACTIONS_REQ, function(txn)
    ssl_headers(txn, quote)
end, 0)

core.register_action("ssl_headers_unquoted", ACTIONS_REQ, function(txn)
    ssl_headers(txn, bare)
end, 0)
