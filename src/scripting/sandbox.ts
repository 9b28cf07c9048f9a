/**
 * The part of the scripting environment written in Lua: run once on every new Lua state,
 * after the libraries, `redis` and `pcall` are in place, it gives scripts the globals
 * Redis 7.0 gives them (script_lua.c luaRegisterRedisAPI, eval.c scriptingInit) and
 * locks them as Redis does.
 *
 * Redis 7.0 locks the globals and every table reachable from them with a patched VM flag
 * (lua_enablereadonlytable): "Attempt to modify a readonly table". Stock Lua 5.1 has no
 * such flag, so here:
 * - the globals move to a hidden table; _G (the scripts' environment) stays empty, reads
 *   fall through to the hidden table by __index (a table, so the VM follows it without a
 *   call), a missing one reaches the C function `missing_global` (Redis's
 *   luaProtectedTableError), and writes reach the C function `readonly_error`;
 * - every library table (string, math, table, coroutine, redis, cjson...) is replaced by
 *   an empty proxy whose __index is the real table and whose __newindex raises;
 * - setmetatable, rawset and getmetatable are guarded by the engine (script-engine.ts)
 *   with the `protected` set returned here, so they cannot reach around the proxies.
 * next, pairs and rawget are replaced by the engine's (script-engine.ts), which see
 * through a proxy to the table behind it (the proxy itself is empty), so iterating _G or
 * a library lists what Redis lists. They are C functions, not Lua wrappers: a wrapper
 * called in tail position (`return next(t)`) would take the script's frame with it, and
 * with it the line and the name in the error.
 *
 * Removed, as Redis never sets them: print, dofile, loadfile (its deny list), and what
 * luaL_openlibs opens that Redis does not (package, require, module, io, os); `debug`
 * is kept only in the error helpers, as Redis's scriptingInit does. setfenv, getfenv and
 * newproxy are removed too: on the allow list of Redis 7.0.15's source, but absent in the
 * redis-server 7.0.15 the differential tests run (Debian's), whose behaviour is the spec.
 *
 * pcall is replaced by one that runs its function on a coroutine (see below), so a script
 * looping inside pcall can still be suspended past busy-reply-threshold. What scripts can
 * see of it: coroutine.running() inside pcall returns that coroutine, and a pcall nests
 * one coroutine.resume deeper (the C-stack limit of 200 levels counts it).
 *
 * Chunk arguments: readonly_error, missing_global, iscfunction, passing (C functions of
 * the engine). Returns: the hidden
 * globals table, the protected set, what getmetatable shows for a protected table, and
 * errinfo(co, err), which builds Redis's error table ({err=, source=, line=}) for a
 * script that died on coroutine `co`, as Redis's __redis__err__handler does from inside
 * the failed call, pcall's owners table (weak keys: each pcall coroutine -> the thread
 * that resumes it), and the table behind each proxy (weak keys: proxy -> table).
 */
export const SANDBOX_LUA = `
local readonly_error, missing_global, iscfunction, passing = ...
local G = _G
local next, type, tostring, setmetatable, rawset = next, type, tostring, setmetatable, rawset
local dbg = debug
local getinfo = dbg.getinfo

-- eval.c's error handler, a global in Redis 7.0 too (on its allow list).
function __redis__err__handler(err)
  local i = dbg.getinfo(2,'nSl')
  if i and i.what == 'C' then
    i = dbg.getinfo(3,'nSl')
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

-- The same, for a script that died on coroutine co: its stack is still in place there.
-- Frames of this chunk (pcall's settle, the load wrappers) stand for Redis's C functions,
-- which have no line, and so do the tail calls they make: the position is the script's
-- code that called them.
local function hidden(i)
  return i.source == '=sandbox' or i.what == 'tail'
end
local function errinfo(co, err)
  local level = 0
  local i = getinfo(co, level, 'nSl')
  while i and hidden(i) do
    level = level + 1
    i = getinfo(co, level, 'nSl')
  end
  if i and i.what == 'C' then
    repeat
      level = level + 1
      i = getinfo(co, level, 'nSl')
    until not (i and hidden(i))
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}
  end
  if i then
    rawset(err, 'source', i.source)
    rawset(err, 'line', i.currentline)
  end
  return err
end

-- No precompiled chunks: Redis's Lua always parses text (its f_parser has no undump),
-- and bytecode can break the VM. A binary chunk fails as Redis's parser fails on it.
local real_loadstring, real_load = loadstring, load
local function chunkid(source)
  if source:sub(1, 1) == '=' then return source:sub(2, 60) end
  -- luaO_chunkid for a string source: its first line (up to CR, LF or NUL), at most 42 bytes.
  local line = source:match('^[^\\r\\n%z]*')
  local cut = line:sub(1, 42)
  local rest = source:sub(#cut + 1, #cut + 1)
  if rest ~= '' and rest ~= '\\0' then return '[string "' .. cut .. '..."]' end
  return '[string "' .. cut .. '"]'
end
local function binary_error(name)
  return nil, chunkid(name) .. ":1: unexpected symbol near 'char(27)'"
end
G.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then return binary_error(name or s) end
  return real_loadstring(s, name)
end
G.load = function(reader, name)
  if type(reader) ~= 'function' then return real_load(reader, name) end
  local first = true
  local refused = false
  local f, e = real_load(function()
    local piece = reader()
    if first and type(piece) == 'string' and piece ~= '' then
      first = false
      if piece:byte(1) == 27 then refused = true return nil end
    end
    return piece
  end, name)
  if refused then return nil, chunkid(name or '=(load)') .. ":1: unexpected symbol near 'char(27)'" end
  return f, e
end

-- pcall (Redis's luaRedisPcall: an error table's err becomes the error value) runs f on a
-- coroutine of its own, so that the engine's hook can suspend a script looping inside
-- pcall (Lua 5.1 cannot yield across the C function pcall). owners[co] is the thread that
-- resumes co: the hook walks it up to the run's thread to know whether every thread on the
-- way can yield. passing(co) is true when the hook suspended co (or a coroutine under it)
-- and this thread must pass the suspension outwards: it yields, and when the engine
-- resumes it, resumes co where the hook stopped it. A yield the hook did not make is
-- refused as Lua 5.1's pcall refuses it. C functions (iscfunction) and callable values
-- keep the C pcall: nothing inside them can be suspended.
local cpcall = G.pcall
local create, resume, costatus, yield, running = coroutine.create, coroutine.resume, coroutine.status, coroutine.yield, coroutine.running
local owners = setmetatable({}, {__mode = 'k'})
local function finish(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'table' then
    local v = e.err
    if type(v) == 'string' or type(v) == 'number' then return false, v end
  end
  return false, e
end
local settle
settle = function(co, ...)
  if costatus(co) == 'dead' then return finish(...) end
  if passing(co) then
    yield()
    return settle(co, resume(co))
  end
  return false, 'attempt to yield across metamethod/C-call boundary'
end
G.pcall = function(f, ...)
  if type(f) ~= 'function' or iscfunction(f) then return cpcall(f, ...) end
  local co = create(f)
  owners[co] = running()
  return settle(co, resume(co, ...))
end

G.print, G.dofile, G.loadfile, G.require, G.module = nil, nil, nil, nil, nil
G.setfenv, G.getfenv, G.newproxy = nil, nil, nil
G.package, G.io, G.os, G.debug = nil, nil, nil, nil

local protected = setmetatable({}, {__mode = 'k'})
local shown = setmetatable({}, {__mode = 'k'})
-- The table behind each proxy, for the engine's next, pairs and rawget (script-engine.ts).
local behind = setmetatable({}, {__mode = 'k'})
local proxies = {}
local function protect(t)
  local p = proxies[t]
  if p then return p end
  p = {}
  proxies[t] = p
  for k, v in next, t do
    if type(v) == 'table' then t[k] = protect(v) end
  end
  setmetatable(p, {__index = t, __newindex = readonly_error, __metatable = false})
  protected[p] = true
  behind[p] = t
  return p
end
local function view(t)
  local p = setmetatable({}, {__index = t, __newindex = readonly_error, __metatable = false})
  protected[p] = true
  behind[p] = t
  return p
end

local real = {}
for k, v in next, G do real[k] = v end
for k in next, real do G[k] = nil end
for k, v in next, real do
  if type(v) == 'table' and v ~= G then real[k] = protect(v) end
end
real._G = G
setmetatable(real, {__index = missing_global})
setmetatable(G, {__index = real, __newindex = readonly_error, __metatable = false})
protected[G] = true
behind[G] = real
-- getmetatable(_G) shows a read-only {__index = <the missing-global error function>}, as
-- Redis's error metatable of the globals (luaSetErrorMetatable) shows.
shown[G] = view({__index = missing_global})

-- Strings' methods come from the read-only string table; their metatable shows read-only.
local smt = getmetatable('')
smt.__index = real.string
smt.__metatable = view({__index = real.string})

return real, protected, shown, errinfo, owners, behind
`;
