-- httponly.lua: adds HttpOnly (and, if asked, Secure and SameSite) to the
-- Set-Cookie headers of chosen cookies, for applications that cannot set
-- them themselves (the HAProxy blog's "IIS 6.0 appsession cookie and PCI
-- compliance": rspirep ^Set-Cookie:\ (appsession.*) Set-Cookie:\ \1;\ HttpOnly).
--
-- Runs unchanged on HAProxy (2.6 and later, Lua 5.3) and on proxyd
-- (Lua 5.4).
--
-- Configuration:
--
--   global
--       lua-load /usr/share/proxyd/lua/httponly.lua
--   backend bk_iis
--       http-response lua.httponly appsession.*
--       # or, with more attributes:
--       http-response lua.cookie_flags ASPSESSIONID.* HttpOnly,Secure,SameSite=Lax
--
-- lua.httponly NAME-PATTERN   (http-response)
--   Every Set-Cookie header whose cookie name matches NAME-PATTERN gets
--   "; HttpOnly" at its end, unless it has the attribute already.
--
-- lua.cookie_flags NAME-PATTERN ATTRIBUTES   (http-response)
--   The same with the attributes listed in ATTRIBUTES, separated by commas,
--   added in that order: "HttpOnly", "Secure", "SameSite=Strict",
--   "SameSite=Lax" or "SameSite=None" (any case; written as listed).
--   "SameSite=None" brings "Secure" with it, which browsers require.
--
-- NAME-PATTERN is a Lua pattern matched against the whole cookie name (it
-- is anchored at both ends): "appsession.*" matches "appsession" and
-- "appsessionid", "ASPSESSIONID%w+" IIS's ASPSESSIONIDxxxxxxxx cookies,
-- "sid" only "sid", ".*" every cookie. Names are compared with case. Lua
-- patterns have no alternation, so "|" separates alternatives here:
-- "ASPSESSIONID%w+|ASP%.NET_SessionId" (a "|" cannot be part of a name).
--
-- An attribute is never added twice: a cookie that already has it, in any
-- case ("httponly", "HTTPONLY"), keeps it as it is; a cookie that has a
-- SameSite attribute keeps its own value. Trailing ";" and blanks are
-- dropped before the attributes are appended ("a=1;" becomes
-- "a=1; HttpOnly"). Every Set-Cookie line is handled on its own; commas in
-- a value (Expires dates) are kept.
--
-- Limits: when a cookie is changed, all the Set-Cookie lines are removed
-- and added back in their order, so they move to the end of the head (as
-- with "http-response set-header"). A pattern that is not a valid Lua
-- pattern, or an unknown attribute, is reported once in the log and the
-- action then does nothing.

local ACTIONS_RES = { "http-res" }

local warned = {}

local function warn_once(msg)
    if not warned[msg] then
        warned[msg] = true
        core.Warning("httponly.lua: " .. msg)
    end
end

-- Compiled NAME-PATTERN arguments: a list of anchored Lua patterns (one
-- per "|" alternative), or false when one is not a valid Lua pattern.
local patterns = {}

local function compile(pattern)
    local list = patterns[pattern]
    if list ~= nil then
        return list
    end
    list = {}
    for alt in (pattern .. "|"):gmatch("([^|]*)|") do
        local p = alt
        if p:sub(1, 1) == "^" then
            p = p:sub(2)
        end
        if p:sub(-1) == "$" and p:sub(-2) ~= "%$" then
            p = p:sub(1, -2)
        end
        p = "^" .. p .. "$"
        if not pcall(string.find, "", p) then
            warn_once("'" .. pattern .. "' is not a valid Lua pattern: ignored")
            list = false
            break
        end
        list[#list + 1] = p
    end
    patterns[pattern] = list
    return list
end

local function name_matches(name, list)
    for _, p in ipairs(list) do
        if name:find(p) then
            return true
        end
    end
    return false
end

-- Parsed ATTRIBUTES arguments: a list of { key = lower-case name, text =
-- what to append }, or false when one is unknown.
local attr_lists = {}

local SAMESITE = { strict = true, lax = true, none = true }

local function parse_attrs(spec)
    local list = attr_lists[spec]
    if list ~= nil then
        return list
    end
    list = {}
    local seen = {}
    local function add(key, text)
        if not seen[key] then
            seen[key] = true
            list[#list + 1] = { key = key, text = text }
        end
    end
    for item in spec:gmatch("[^,]+") do
        item = item:match("^%s*(.-)%s*$")
        local key, value = item:match("^([^=]-)%s*=%s*(.*)$")
        key = (key or item):lower()
        if key == "httponly" and value == nil then
            add("httponly", item)
        elseif key == "secure" and value == nil then
            add("secure", item)
        elseif key == "samesite" and value ~= nil and SAMESITE[value:lower()] then
            add("samesite", item)
            if value:lower() == "none" then
                add("secure", "Secure")
            end
        elseif item ~= "" then
            warn_once("unknown cookie attribute '" .. item .. "' in '" .. spec .. "': ignored")
            list = false
            break
        end
    end
    attr_lists[spec] = list
    return list
end

-- Returns COOKIE with the attributes of ATTRS it lacks appended, or nil
-- when its name matches none of PATTERNS or it has them all.
local function add_attrs(cookie, patterns, attrs)
    local pair = cookie:match("^[^;]*")
    local name = pair:match("^%s*([^=]-)%s*=") or ""
    if not name_matches(name, patterns) then
        return nil
    end
    local have = {}
    local first = true
    for seg in (cookie .. ";"):gmatch("([^;]*);") do
        if not first then
            local key = seg:match("^%s*([^=]-)%s*=") or seg:match("^%s*(.-)%s*$")
            have[key:lower()] = true
        end
        first = false
    end
    local added = {}
    for _, a in ipairs(attrs) do
        if not have[a.key] then
            added[#added + 1] = a.text
        end
    end
    if #added == 0 then
        return nil
    end
    local base = cookie:gsub("[%s;]+$", "")
    return base .. "; " .. table.concat(added, "; ")
end

local function set_cookie_attrs(txn, patterns, attrs)
    if txn.http == nil then
        return
    end
    local hdrs = txn.http:res_get_headers()
    local values = hdrs["set-cookie"]
    if values == nil then
        return
    end
    local out, changed = {}, false
    local i = 0
    while values[i] ~= nil do
        local v = values[i]
        local nv = add_attrs(v, patterns, attrs)
        if nv ~= nil then
            changed = true
            v = nv
        end
        out[#out + 1] = v
        i = i + 1
    end
    if changed then
        txn.http:res_del_header("Set-Cookie")
        for _, v in ipairs(out) do
            txn.http:res_add_header("Set-Cookie", v)
        end
    end
end

local HTTPONLY = { { key = "httponly", text = "HttpOnly" } }

core.register_action("httponly", ACTIONS_RES, function(txn, pattern)
    local p = pattern and compile(pattern)
    if p then
        set_cookie_attrs(txn, p, HTTPONLY)
    end
end, 1)

core.register_action("cookie_flags", ACTIONS_RES, function(txn, pattern, spec)
    local p = pattern and compile(pattern)
    local attrs = spec and parse_attrs(spec)
    if p and attrs then
        set_cookie_attrs(txn, p, attrs)
    end
end, 2)
