-- status.lua: a status page answered by the proxy itself, listing every
-- backend and the state of each of its servers, in plain text or JSON. An
-- example of a Lua HTTP service, and a page for monitors that cannot read
-- the stats socket.
--
-- Runs unchanged on HAProxy (2.6 and later, Lua 5.3) and on proxyd
-- (Lua 5.4).
--
-- Configuration:
--
--   global
--       lua-load /usr/share/proxyd/lua/status.lua
--   frontend ft_admin
--       bind 127.0.0.1:8081
--       http-request use-service lua.status if { path /status }
--
-- lua.status   (service, HTTP mode)
--   Answers 200 with the backends (sections with a backend side: backend
--   and listen) sorted by name, each with its servers sorted by name and
--   their status as "show stat" says it (UP, DOWN, MAINT, no check, ...).
--   Plain text (text/plain; charset=utf-8), one line per backend and one
--   indented line per server:
--       backend bk_app
--         s1 UP
--         s2 DOWN
--   JSON (application/json) when the query string has format=json, or
--   when it has no format and the Accept header mentions application/json
--   (format=text asks for text whatever Accept says):
--       {"backends":[{"name":"bk_app","servers":[{"name":"s1",
--       "status":"UP"},{"name":"s2","status":"DOWN"}]}]}
--   (on one line, ending with a newline). A backend without servers has
--   "servers":[]. A HEAD request gets the same head with no body. The
--   answer carries "Cache-Control: no-store".
--
-- Limits: the page shows every backend and server name to whoever reaches
-- it: restrict it with an ACL (source address, path, credentials). Server
-- states come from server:get_stats()'s "status"; when a server cannot
-- report one it shows as "unknown". The answer is built whole in memory.

local function sorted_keys(t)
    local keys = {}
    for k in pairs(t or {}) do
        keys[#keys + 1] = k
    end
    table.sort(keys)
    return keys
end

local function server_status(server)
    local ok, stats = pcall(function()
        return server:get_stats()
    end)
    if ok and type(stats) == "table" and stats.status ~= nil then
        return tostring(stats.status)
    end
    return "unknown"
end

-- A list of { name =, servers = { { name =, status = } } }.
local function collect()
    local list = {}
    local backends = core.backends or {}
    for _, bname in ipairs(sorted_keys(backends)) do
        local proxy = backends[bname]
        local servers = {}
        local stable = proxy.servers or {}
        for _, sname in ipairs(sorted_keys(stable)) do
            servers[#servers + 1] = { name = sname, status = server_status(stable[sname]) }
        end
        list[#list + 1] = { name = bname, servers = servers }
    end
    return list
end

local JSON_ESCAPES = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b',
                       ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r',
                       ['\t'] = '\\t' }

local function json_string(s)
    return '"' .. s:gsub('[%c"\\]', function(c)
        return JSON_ESCAPES[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
end

local function render_json(list)
    local out = {}
    for _, b in ipairs(list) do
        local servers = {}
        for _, s in ipairs(b.servers) do
            servers[#servers + 1] = '{"name":' .. json_string(s.name) ..
                                    ',"status":' .. json_string(s.status) .. '}'
        end
        out[#out + 1] = '{"name":' .. json_string(b.name) ..
                        ',"servers":[' .. table.concat(servers, ",") .. ']}'
    end
    return '{"backends":[' .. table.concat(out, ",") .. ']}\n'
end

local function render_text(list)
    local out = {}
    for _, b in ipairs(list) do
        out[#out + 1] = "backend " .. b.name .. "\n"
        for _, s in ipairs(b.servers) do
            out[#out + 1] = "  " .. s.name .. " " .. s.status .. "\n"
        end
    end
    return table.concat(out)
end

-- "json" or "text", from the query string, else from Accept.
local function wanted_format(applet)
    local qs = applet.qs or ""
    for param in qs:gmatch("[^&]+") do
        local key, value = param:match("^([^=]*)=(.*)$")
        if key == "format" then
            if value == "json" then
                return "json"
            elseif value == "text" then
                return "text"
            end
        end
    end
    local accept = applet.headers and applet.headers["accept"]
    if accept ~= nil then
        local i = 0
        while accept[i] ~= nil do
            if accept[i]:lower():find("application/json", 1, true) then
                return "json"
            end
            i = i + 1
        end
    end
    return "text"
end

core.register_service("status", "http", function(applet)
    local list = collect()
    local body, ctype
    if wanted_format(applet) == "json" then
        body, ctype = render_json(list), "application/json"
    else
        body, ctype = render_text(list), "text/plain; charset=utf-8"
    end
    applet:set_status(200)
    applet:add_header("Content-Type", ctype)
    applet:add_header("Content-Length", tostring(#body))
    applet:add_header("Cache-Control", "no-store")
    applet:start_response()
    if applet.method ~= "HEAD" then
        applet:send(body)
    end
end)
