-- The audit log's hash chain from Lua. Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_audit.lua
-- Tampering goes through the sqlite3 shell, as an attacker holding the file would.
local spm = require "spm"

local T0 = 1767225600 -- 2026-01-01T00:00:00Z
local ZERO = string.rep("0", 64)
local passed, failed = 0, 0
local tests = {}

local function test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
  end
end

local function fails(code, msg, ok, got_msg, got_code)
  if ok ~= nil then error("expected a failure, got " .. tostring(ok), 2) end
  eq(got_code, code, "code (" .. tostring(got_msg) .. ")")
  if msg then eq(got_msg, msg, "message") end
end

local function tmpfile()
  local path = os.tmpname()
  os.remove(path)
  return path
end

local function open(path)
  return assert(spm.open { path = path, actor = 1, clock = function() return T0 end })
end

-- Three audit rows: ids 1 (a create of two fields reserves 1 and 2), 3 and 4.
local function three_rows(path)
  local db = open(path)
  local rec = assert(db:new("customer", { name = "Acme", industry = "Retail" }):save())
  assert(rec:set("name", "Acme 有限公司"):save())
  assert(db:delete("customer", rec:id()))
  return db
end

local function sqlite(path, sql)
  local f = assert(io.popen("sqlite3 '" .. path .. "' 2>&1", "w"))
  f:write(sql, "\n")
  return f:close()
end

local TRIGGERS = 'DROP TRIGGER IF EXISTS "_audit:no_update"; DROP TRIGGER IF EXISTS "_audit:no_delete"; '

test("the head follows each write and verifies", function()
  local path = tmpfile()
  local db = open(path)
  local id, hash = db:audit_head()
  eq(id, 0); eq(hash, ZERO)
  assert(db:new("customer", { name = "Acme", industry = "Retail" }):save())
  local id1, hash1 = db:audit_head()
  eq(id1, 1); eq(#hash1, 64); eq(hash1:match("^[0-9a-f]+$"), hash1)
  assert(db:get("customer", 1):set("name", "B"):save())
  local id2, hash2 = db:audit_head()
  eq(id2, 3)
  assert(hash2 ~= hash1, "the head moved")
  eq(db:audit_verify(), true)
  eq(db:audit_verify(id1, hash1), true)
  eq(db:audit_verify(id2, hash2:upper()), true)
  db:close(); os.remove(path)
end)

test("an edited row is named", function()
  local path = tmpfile()
  three_rows(path):close()
  assert(sqlite(path, TRIGGERS .. "UPDATE _audit SET actor = 5 WHERE id = 3;"))
  local db = open(path)
  fails(spm.ECORRUPT, "audit entry 3: hash does not match", db:audit_verify())
  db:close(); os.remove(path)
end)

test("a truncated tail is caught with the anchor", function()
  local path = tmpfile()
  local db = three_rows(path)
  local id, hash = db:audit_head()
  db:close()
  eq(id, 4)
  assert(sqlite(path, TRIGGERS .. "DELETE FROM _audit WHERE id = 4;"))
  db = open(path)
  eq(db:audit_verify(), true)
  fails(spm.ECORRUPT, "audit entry 4 (the anchor) is missing", db:audit_verify(id, hash))
  db:close(); os.remove(path)
end)

test("the triggers refuse raw updates", function()
  local path = tmpfile()
  three_rows(path):close()
  local ok = sqlite(path, "UPDATE _audit SET actor = 5;")
  eq(ok, nil, "the sqlite3 shell fails")
  local db = open(path)
  eq(db:audit_verify(), true)
  db:close(); os.remove(path)
end)

test("bad anchors fail", function()
  local path = tmpfile()
  local db = three_rows(path)
  fails(spm.EINVAL, "an anchor's hash is 64 hex digits", db:audit_verify(1, "abc"))
  fails(spm.EINVAL, "an anchor's hash is 64 hex digits", db:audit_verify(1, string.rep("g", 64)))
  fails(spm.EINVAL, "an anchor's hash is 64 hex digits", db:audit_verify(1))
  fails(spm.EINVAL, "an anchor's id is not negative", db:audit_verify(-1, ZERO))
  fails(spm.ECORRUPT, "audit entry 1 does not match the anchor", db:audit_verify(1, ZERO))
  eq(db:audit_verify(0, ZERO), true)
  db:close(); os.remove(path)
end)

for _, t in ipairs(tests) do
  local ok, err = pcall(t.fn)
  if ok then
    passed = passed + 1
    print("ok   " .. t.name)
  else
    failed = failed + 1
    print("FAIL " .. t.name .. "\n     " .. tostring(err))
  end
end
collectgarbage()
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1, true)
