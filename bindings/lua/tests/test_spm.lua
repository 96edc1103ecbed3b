-- Tests of the Lua module. Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_spm.lua
local spm = require "spm"

local T0 = 1767225600 -- 2026-01-01T00:00:00Z
local passed, failed = 0, 0
local tests = {}

local function test(name, fn)
  tests[#tests + 1] = { name = name, fn = fn }
end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
  end
end

-- Asserts a failure triple: nil, message, code.
local function fails(code, msg, ok, got_msg, got_code)
  if ok ~= nil then error("expected a failure, got " .. tostring(ok), 2) end
  if got_code ~= code then
    error(string.format("code: got %s (%s), want %s", tostring(got_code), tostring(got_msg),
      tostring(code)), 2)
  end
  if msg and not string.find(got_msg, msg, 1, true) then
    error(string.format("message %q does not contain %q", got_msg, msg), 2)
  end
end

local function list_eq(got, want, what)
  eq(#got, #want, (what or "list") .. " length")
  for i = 1, #want do eq(got[i], want[i], (what or "list") .. "[" .. i .. "]") end
end

local function crm(opts)
  opts = opts or {}
  opts.actor = opts.actor or 7
  opts.clock = opts.clock or function() return T0 end
  local db = assert(spm.open(opts))
  assert(db:field_add("customer", "grade", "enum", { choices = { "A", "B", "C" }, label = "客户分级" }))
  assert(db:field_add("customer", "credit_limit", "money"))
  assert(db:field_add("customer", "since", "date"))
  assert(db:field_add("customer", "vip", "boolean"))
  assert(db:field_add("customer", "employees", "integer"))
  assert(db:field_add("customer", "last_call", "time"))
  return db
end

local function tmpfile()
  local path = os.tmpname()
  os.remove(path)
  return path
end

---------------------------------------------------------------- helpers

test("version matches the header", function()
  local v, major, minor, patch = spm.version()
  eq(v, "0.1.0"); eq(major, 0); eq(minor, 1); eq(patch, 0)
  eq(spm._VERSION, "0.1.0")
  assert(spm.schema_version_supported() >= 1)
  eq(spm.result_name(spm.ENOTFOUND), "SPM_ENOTFOUND")
  eq(spm.EINVAL, -2); eq(spm.EUSER, -14)
end)

test("money parse, format and split are exact", function()
  eq(spm.money_parse("12.50", "EUR"), 1250)
  eq(spm.money_parse("-0.05", "USD"), -5)
  eq(spm.money_format(1250, "EUR"), "12.50")
  eq(spm.money_format(1234, "KWD"), "1.234")
  list_eq(spm.money_split(100, { 1, 1, 1 }), { 34, 33, 33 })
  list_eq(spm.money_split(-100, { 1, 1, 1 }), { -34, -33, -33 })
  fails(spm.EINVAL, nil, spm.money_parse("1.001", "EUR"))
  fails(spm.EINVAL, nil, spm.money_parse("1", "XYZ"))
  fails(spm.EOVERFLOW, nil, spm.money_parse("99999999999999999999", "EUR"))
  fails(spm.EINVAL, "floats are refused", spm.money_format(12.5, "EUR"))
  fails(spm.EINVAL, "floats are refused", spm.money_format(12.0, "EUR"))
  fails(spm.EINVAL, "integers", spm.money_split(10, { 0.5, 0.5 }))
  fails(spm.EINVAL, nil, spm.money_split(10, {}))
  fails(spm.EINVAL, nil, spm.money_split(10, { 1, 0 }))
  fails(spm.EINVAL, "NUL", spm.money_parse("1\0", "EUR"))
end)

test("dates parse and format", function()
  eq(spm.date_parse("1970-01-02"), 1)
  eq(spm.date_format(spm.date_parse("2024-02-29")), "2024-02-29")
  fails(spm.EINVAL, nil, spm.date_parse("2023-02-29"))
  fails(spm.EINVAL, nil, spm.date_parse("2026-3-5"))
  fails(spm.ERANGE, nil, spm.date_format(-1000000))
end)

---------------------------------------------------------------- open

test("open sets actor, clock and schema version", function()
  local db <close> = assert(spm.open { actor = 42, clock = function() return T0 end })
  eq(db:actor(), 42)
  eq(db:now(), T0)
  eq(db:schema_version(), spm.schema_version_supported())
  assert(db:set_actor(9))
  eq(db:actor(), 9)
  fails(spm.EINVAL, nil, db:set_actor(-1))
  assert(db:tick(T0 + 86400 * 2))
end)

test("open with a plain path and close twice", function()
  local db = assert(spm.open(":memory:"))
  eq(db:is_closed(), false)
  db:close()
  db:close()
  eq(db:is_closed(), true)
  eq(tostring(db), "spm.db (closed)")
  local ok, err = pcall(db.now, db)
  eq(ok, false)
  assert(err:find("closed spm db", 1, true))
end)

test("open failures return nil, message, code", function()
  local ok, msg, code = spm.open { path = "/nonexistent-dir/x.db", create = false }
  eq(ok, nil)
  assert(type(msg) == "string" and #msg > 0)
  assert(code < 0)
  fails(spm.EINVAL, "NUL", spm.open("a\0b"))
end)

test("read-only handle refuses writes", function()
  local path = tmpfile()
  assert(spm.open(path)):close()
  local db <close> = assert(spm.open { path = path, readonly = true })
  fails(spm.EPERM, nil, db:field_add("customer", "grade", "text"))
  db:close()
  os.remove(path)
end)

test("a clock error comes back as nil, msg", function()
  local broken = false
  local db <close> = assert(spm.open { clock = function()
    if broken then error("clock broke") end
    return T0
  end })
  broken = true
  fails(spm.EUSER, "clock broke", db:now())
  fails(spm.EUSER, "clock broke", db:new("customer", { name = "A" }):save())
  broken = false
  eq(db:now(), T0)
  local db2 <close> = assert(spm.open { clock = function() return 1.5 end })
  fails(spm.EUSER, "integer seconds", db2:now())
end)

---------------------------------------------------------------- schema

test("kinds and fields", function()
  local db <close> = assert(spm.open())
  list_eq(db:kinds(), { "customer", "contact", "role", "user", "team", "membership", "lead", "activity", "pool_policy", "assignment_rule", "dedupe_policy", "grading_rule", "reclaim_rule", "pipeline", "stage", "opportunity", "line_item", "stage_history", "ownership_change", "quote", "quote_line", "contract", "installment", "payment", "credit_note", "complaint", "task", "comment", "approval_flow", "approval_request", "approval_vote", "target", "target_metric", "holiday", "target_alert", "report" })
  local f = db:fields("customer")
  eq(f[1].name, "name"); eq(f[1].type, "text"); eq(f[1].required, true); eq(f[1].custom, false)
  assert(db:field_add("customer", "grade", "enum", { choices = { "A", "B" }, label = "客户分级", required = true }))
  f = db:fields("customer")
  local g = f[#f]
  eq(g.name, "grade"); eq(g.type, "enum"); eq(g.custom, true); eq(g.required, true)
  eq(g.label, "客户分级"); list_eq(g.choices, { "A", "B" })
  fails(spm.EEXISTS, nil, db:field_add("customer", "grade", "text"))
  assert(db:field_drop("customer", "grade"))
  fails(spm.ENOTFOUND, nil, db:field_drop("customer", "grade"))
  fails(spm.EPERM, nil, db:field_drop("customer", "name"))
  assert(#db:fields() > #db:fields("customer"))
  fails(spm.ENOTFOUND, nil, db:fields("planet"))
end)

test("bad field definitions are refused", function()
  local db <close> = assert(spm.open())
  for _, name in ipairs { "a; DROP TABLE x", "Grade", "1a", "", string.rep("a", 64) } do
    fails(spm.EINVAL, nil, db:field_add("customer", name, "text"))
  end
  fails(spm.EINVAL, nil, db:field_add("customer", "grade", "enum"))
  fails(spm.EINVAL, nil, db:field_add("customer", "grade", "float"))
  fails(spm.ENOTFOUND, nil, db:field_add("planet", "grade", "text"))
  fails(spm.EINVAL, "NUL", db:field_add("customer", "a\0b", "text"))
  eq(#db:fields("customer"), 15)
end)

---------------------------------------------------------------- records

test("typed values round trip", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme 有限公司", grade = "B", since = "2024-02-29",
    vip = true, employees = 120, last_call = T0 - 60 }))
  assert(rec:set("credit_limit", 500000, "CNY"))
  assert(rec:save())
  eq(rec:id(), 1); eq(rec:kind(), "customer")
  local got = assert(db:get("customer", 1))
  eq(got:get("name"), "Acme 有限公司")
  eq(got:get("grade"), "B")
  local minor, cur = got:get("credit_limit")
  eq(minor, 500000); eq(cur, "CNY")
  eq(got:get("since"), "2024-02-29")
  eq(got:get("vip"), true)
  eq(got:get("employees"), 120)
  eq(got:get("last_call"), T0 - 60)
  eq(got:get("created_at"), T0)
  eq(got:get("owner_id"), nil)
  eq(got:get_text("credit_limit"), "5000.00 CNY")
  eq(got:seq(), rec:seq())
  assert(got:set("since", spm.date_parse("2026-03-05")))
  eq(got:get("since"), "2026-03-05")
end)

test("text values are parsed by libspm", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme", credit_limit = "12.50 EUR",
    vip = "false", employees = "-3" }))
  eq(rec:get("credit_limit"), 1250)
  eq(rec:get("vip"), false)
  eq(rec:get("employees"), -3)
  assert(rec:set_text("credit_limit", "1 EUR"))
  eq(rec:get("credit_limit"), 100)
  fails(spm.EINVAL, nil, rec:set("credit_limit", "12.505 EUR"))
  fails(spm.EINVAL, nil, rec:set("vip", "yes"))
  fails(spm.EOVERFLOW, nil, rec:set("employees", "9223372036854775808"))
end)

test("to_json and to_table", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme", credit_limit = "12.50 EUR", since = "2026-03-05" }))
  assert(rec:save())
  eq(rec:to_json(), '{"kind":"customer","id":1,"seq":' .. rec:seq() .. ',"fields":{"name":"Acme",'
    .. '"created_at":' .. T0 .. ',"updated_at":' .. T0 .. ',"company_key":"acme","credit_limit":{"minor":1250,'
    .. '"currency":"EUR"},"since":"2026-03-05"}}')
  local t = rec:to_table()
  eq(t.kind, "customer"); eq(t.id, 1); eq(t.seq, rec:seq())
  eq(t.fields.name, "Acme"); eq(t.fields.since, "2026-03-05")
  eq(t.fields.credit_limit.minor, 1250); eq(t.fields.credit_limit.currency, "EUR")
  eq(t.fields.vip, nil)
end)

test("floats are refused for money and integers", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme" }))
  fails(spm.EINVAL, "floats are refused", rec:set("credit_limit", 12.5, "EUR"))
  fails(spm.EINVAL, "floats are refused", rec:set("employees", 3.0))
  fails(spm.EINVAL, "give a currency", rec:set("credit_limit", 1250))
  fails(spm.EINVAL, "cannot store a table", rec:set("employees", {}))
  eq(rec:get("credit_limit"), nil)
  fails(spm.EINVAL, "floats are refused", db:get("customer", 1.5))
end)

test("invalid UTF-8 is refused and changes nothing", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme" }))
  fails(spm.EINVAL, "customer.name: invalid UTF-8", rec:set("name", "Ac\255me"))
  fails(spm.EINVAL, nil, rec:set("name", "\237\160\128")) -- an encoded surrogate
  fails(spm.EINVAL, "NUL", rec:set("name", "nul\0inside"))
  eq(rec:get("name"), "Acme")
end)

test("unknown fields and kinds", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme" }))
  fails(spm.ENOTFOUND, "customer has no field 'nope'", rec:set("nope", "x"))
  fails(spm.ENOTFOUND, "customer has no field 'nope'", rec:get("nope"))
  fails(spm.ENOTFOUND, nil, db:new("planet"))
  fails(spm.ENOTFOUND, "nope", db:new("customer", { nope = 1 }))
  fails(spm.EINVAL, "not one of its choices", rec:set("grade", "Z"))
  fails(spm.EINVAL, nil, rec:set("created_at", T0))
  fails(spm.EINVAL, "customer.name is required", db:new("customer"):save())
end)

test("update, conflict and delete", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme" }):save())
  local a, b = assert(db:get("customer", 1)), assert(db:get("customer", 1))
  assert(a:set("grade", "A"):save())
  assert(b:set("grade", "C"))
  fails(spm.ECONFLICT, nil, b:save())
  eq(assert(db:get("customer", 1)):get("grade"), "A")
  assert(rec:delete())
  fails(spm.ENOTFOUND, nil, db:get("customer", 1))
  fails(spm.ENOTFOUND, nil, db:delete("customer", 1))
end)

test("a record keeps its db alive; closing the db closes the record", function()
  local rec
  do
    local db = crm()
    rec = assert(db:new("customer", { name = "Acme" }))
  end
  collectgarbage(); collectgarbage()
  eq(rec:get("name"), "Acme")
  local db = crm()
  local r2 = assert(db:new("customer", { name = "B" }))
  local q = assert(db:query("customer"))
  local batch = assert(db:batch())
  db:close()
  eq(r2:is_closed(), true); eq(q:is_closed(), true); eq(batch:is_closed(), true)
  local ok, err = pcall(r2.get, r2, "name")
  eq(ok, false)
  assert(err:find("closed spm.record", 1, true))
  eq(tostring(r2), "spm.record (closed)")
  r2:close()
end)

test("record copies and <close>", function()
  local db <close> = crm()
  local copy
  do
    local rec <close> = assert(db:new("customer", { name = "Acme" }))
    copy = assert(rec:dup())
  end
  eq(copy:get("name"), "Acme")
end)

---------------------------------------------------------------- queries

local function four(db)
  for i, name in ipairs { "Acme", "Beta", "Gamma", "Delta" } do
    assert(db:new("customer", { name = name, owner_id = i % 2 }):save())
  end
end

test("iteration in id order", function()
  local db <close> = crm()
  four(db)
  local names = {}
  for rec in db:query("customer"):records() do names[#names + 1] = rec:get("name") end
  list_eq(names, { "Acme", "Beta", "Gamma", "Delta" })
  local it = assert(db:query("customer"):limit(1):iter())
  eq(it:next():get("name"), "Acme")
  eq(it:next(), nil)
  eq(it:next(), nil)
  eq(it:is_closed(), true)
  -- break closes the iterator (the fourth value of the generic for)
  for _ in db:query("customer"):records() do break end
end)

test("where conditions", function()
  local db <close> = crm()
  four(db)
  local ids = {}
  for rec in db:query("customer"):where("owner_id", "=", 1):records() do ids[#ids + 1] = rec:id() end
  list_eq(ids, { 1, 3 })
  ids = {}
  for rec in db:query("customer"):where("name", ">=", "Beta"):where("owner_id", "~=", 1):records() do
    ids[#ids + 1] = rec:id()
  end
  list_eq(ids, { 2, 4 })
  local q = db:query("customer")
  fails(spm.ENOTFOUND, nil, q:where("nope", "=", 1))
  fails(spm.EINVAL, nil, q:where("grade", "=", "A"))
  fails(spm.EINVAL, "unknown comparison", q:where("owner_id", "<>", 1))
  fails(spm.EINVAL, "floats", q:where("owner_id", "=", 1.5))
  fails(spm.ENOTFOUND, nil, db:query("planet"))
end)

test("changed since includes tombstones", function()
  local db <close> = crm()
  four(db)
  local last = db:get("customer", 4):seq()
  assert(db:delete("customer", 2))
  assert(db:get("customer", 3):set("grade", "A"):save())
  local got = {}
  for rec in db:query("customer"):since(last):records() do
    got[#got + 1] = rec:id() .. (rec:deleted() and "-" or "+")
  end
  list_eq(got, { "2-", "3+" })
end)

test("foreach: stop and errors", function()
  local db <close> = crm()
  four(db)
  local seen = {}
  assert(db:query("customer"):foreach(function(r) seen[#seen + 1] = r:id() end))
  list_eq(seen, { 1, 2, 3, 4 })
  seen = {}
  assert(db:query("customer"):foreach(function(r)
    seen[#seen + 1] = r:id()
    if r:id() == 2 then return spm.STOP end
  end))
  list_eq(seen, { 1, 2 })
  seen = {}
  fails(spm.EUSER, "at 3", db:query("customer"):foreach(function(r)
    seen[#seen + 1] = r:id()
    if r:id() == 3 then error("at 3") end
  end))
  list_eq(seen, { 1, 2, 3 })
  fails(spm.EUSER, "non-string", db:query("customer"):foreach(function() error({}) end))
  eq(db:get("customer", 1):get("name"), "Acme") -- still usable
  local kept = {}
  assert(db:query("customer"):foreach(function(r) kept[#kept + 1] = r end))
  eq(kept[4]:get("name"), "Delta")
end)

---------------------------------------------------------------- batches

test("batch commit returns ids", function()
  local db <close> = crm()
  local b <close> = assert(db:batch())
  assert(b:save(db:new("customer", { name = "A" })):save(db:new("customer", { name = "B" })))
  eq(#b, 2); eq(b:count(), 2)
  local ids, replayed = assert(b:commit())
  list_eq(ids, { 1, 2 }); eq(replayed, false)
end)

test("batch replay under the same key", function()
  local db <close> = crm()
  local first = assert(db:batch())
  first:save(db:new("customer", { name = "A" }))
  list_eq(assert(first:commit("order-1")), { 1 })
  local again = assert(db:batch())
  again:save(db:new("customer", { name = "A" }))
  local ids, replayed = again:commit("order-1")
  list_eq(ids, { 1 }); eq(replayed, true); eq(again:replayed(), true)
  local n = 0
  for _ in db:query("customer"):records() do n = n + 1 end
  eq(n, 1)
  local other = assert(db:batch())
  other:save(db:new("customer", { name = "Z" }))
  fails(spm.ECONFLICT, nil, other:commit("order-1"))
end)

test("a failed batch stores nothing", function()
  local db <close> = crm()
  local b = assert(db:batch())
  b:save(db:new("customer", { name = "A" }))
  b:save(db:new("customer"))
  fails(spm.EINVAL, "required", b:commit("k"))
  eq(db:query("customer"):iter():next(), nil)
  fails(spm.EINVAL, nil, b:ids())
  assert(db:new("customer", { name = "A" }):save())
  assert(assert(db:batch()):delete("customer", 1):commit())
  fails(spm.ENOTFOUND, nil, db:get("customer", 1))
  fails(spm.ENOTFOUND, nil, assert(db:batch()):delete("planet", 1))
end)

---------------------------------------------------------------- audit and events

test("audit trail", function()
  local db <close> = crm()
  local rec = assert(db:new("customer", { name = "Acme", grade = "B" }):save())
  db:set_actor(8)
  assert(rec:set("grade", "A"):save())
  local trail = assert(db:audit("customer", 1))
  eq(#trail, 3)
  eq(trail[1].op, "create"); eq(trail[1].field, "name"); eq(trail[1].new_value, "Acme")
  eq(trail[1].old_value, nil); eq(trail[1].actor, 7); eq(trail[1].at, T0)
  eq(trail[3].op, "update"); eq(trail[3].old_value, "B"); eq(trail[3].new_value, "A")
  eq(trail[3].actor, 8)
  local all = assert(db:audit())
  eq(all[1].op, "schema"); eq(all[1].field, "grade"); eq(all[1].entity_id, 0)
  fails(spm.ENOTFOUND, nil, db:audit("planet"))
end)

test("listeners get events after commit", function()
  local db <close> = crm()
  local seen = {}
  local id = assert(db:listen(function(e) seen[#seen + 1] = e end, { "record.created", "record.updated" }))
  local rec = assert(db:new("customer", { name = "Acme" }):save())
  assert(rec:set("grade", "A"):save())
  assert(rec:delete())
  eq(#seen, 2)
  eq(seen[1].type, "record.created"); eq(seen[1].kind, "customer"); eq(seen[1].entity_id, 1)
  eq(seen[1].actor, 7)
  eq(seen[2].payload, '{"changes":{"grade":{"old":null,"new":"A"}}}')
  assert(db:unlisten(id))
  assert(db:new("customer", { name = "Beta" }):save())
  eq(#seen, 2)
  fails(spm.ENOTFOUND, nil, db:unlisten(id))
  fails(spm.EINVAL, "unknown event type", db:listen(print, "record.exploded"))
end)

test("a listener error comes back after commit", function()
  local db <close> = crm()
  assert(db:listen(function(e) error("listener " .. e.entity_id) end))
  fails(spm.EUSER, "listener 1", db:new("customer", { name = "Acme" }):save())
  eq(db:get("customer", 1):get("name"), "Acme") -- committed
end)

test("listener stop skips later listeners", function()
  local db <close> = crm()
  local calls = {}
  db:listen(function() calls[#calls + 1] = "first"; return spm.STOP end)
  db:listen(function() calls[#calls + 1] = "second" end)
  assert(db:new("customer", { name = "Acme" }):save())
  list_eq(calls, { "first" })
end)

test("a listener may read the db", function()
  local db <close> = crm()
  local names = {}
  db:listen(function(e) names[#names + 1] = db:get(e.kind, e.entity_id):get("name") end, "record.created")
  assert(db:new("customer", { name = "Acme" }):save())
  list_eq(names, { "Acme" })
end)

test("outbox", function()
  local db <close> = crm()
  eq(db:outbox_last(), 6) -- the six field.added events of crm()
  assert(db:new("customer", { name = "Acme" }):save())
  local events = assert(db:outbox(6))
  eq(#events, 1); eq(events[1].seq, 7); eq(events[1].type, "record.created")
  local two = assert(db:outbox(0, 2))
  eq(#two, 2); eq(two[2].type, "field.added")
  eq(db:outbox_last(), 7)
  fails(spm.EINVAL, nil, db:outbox(-1))
end)

test("consumers keep their position across reopen", function()
  local path = tmpfile()
  local db = assert(spm.open { path = path, clock = function() return T0 end })
  assert(db:new("customer", { name = "Acme" }):save())
  assert(db:new("customer", { name = "Beta" }):save())
  eq(db:consumer_position("mailer"), 0)
  local events = assert(db:consumer_poll("mailer"))
  eq(#events, 2); eq(events[1].entity_id, 1); eq(events[2].entity_id, 2)
  assert(db:consumer_ack("mailer", events[1].seq))
  eq(db:consumer_position("mailer"), events[1].seq)
  db:close()

  db = assert(spm.open { path = path, clock = function() return T0 end })
  events = assert(db:consumer_poll("mailer"))
  eq(#events, 1); eq(events[1].entity_id, 2)
  assert(db:new("customer", { name = "Gamma" }):save())
  events = assert(db:consumer_poll("mailer", 5))
  eq(#events, 2); eq(events[2].entity_id, 3)
  assert(db:consumer_ack("mailer", events[2].seq))
  fails(spm.EINVAL, nil, db:consumer_ack("mailer", events[1].seq))
  eq(#db:consumer_poll("mailer"), 0)
  db:close()

  db = assert(spm.open(path))
  eq(db:consumer_position("mailer"), db:outbox_last())
  fails(spm.EINVAL, nil, db:consumer_poll("a b"))
  fails(spm.EINVAL, nil, db:consumer_position(string.rep("x", 64)))
  db:close()
  os.remove(path)
end)

---------------------------------------------------------------- run

test("org scope and lead claims", function()
  local db <close> = assert(spm.open { actor = 0, clock = function() return T0 end })
  local function add(kind, fields)
    local r = assert(db:new(kind))
    for k, v in pairs(fields) do assert(r:set_text(k, v)) end
    assert(r:save())
    return r:id()
  end
  add("role", { name = "rep", scope = "1" })
  add("user", { name = "An", role_id = "1", active = "true" })
  add("user", { name = "Bo", role_id = "1", active = "true" })
  local lead = add("lead", { company = "Acme" })
  eq(db:scope(), "all")
  assert(db:set_actor(1))
  eq(db:scope(), "own")
  eq(db:can("org"), false)
  assert(db:claim_lead(lead))
  assert(db:set_actor(2))
  fails(spm.ECONFLICT, "someone claimed it", db:claim_lead(lead))
  fails(spm.ENOTFOUND, nil, db:release_lead(lead, "not mine"))
  assert(db:set_actor(0))
  add("pool_policy", { max_open = "0" })
  assert(db:set_actor(1))
  assert(db:release_lead(lead, "wrong region"))
  fails(spm.ELIMIT, "max_open 0", db:claim_lead(lead))
  assert(db:set_actor(0))
  add("assignment_rule", { position = "1", name = "rr", method = "round_robin", users = "2" })
  eq(db:assign_pool(), 0, "user 2 may hold no lead either")
end)

for _, t in ipairs(tests) do
  local ok, err = xpcall(t.fn, debug.traceback)
  if ok then
    passed = passed + 1
    print("ok   " .. t.name)
  else
    failed = failed + 1
    print("FAIL " .. t.name .. "\n     " .. tostring(err):gsub("\n", "\n     "))
  end
end
collectgarbage()
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1, true) -- true: close the state, running every __gc
