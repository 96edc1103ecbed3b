-- Lua tests of leads and customers (spm_lua_customers.c) and CSV (spm_lua_csv.c).
-- Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_customers.lua
local spm = require "spm"

local T0 = 1767225600 -- 2026-01-01T00:00:00Z
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
  if got_code ~= code then
    error(string.format("code: got %s (%s), want %s", tostring(got_code), tostring(got_msg),
      tostring(code)), 2)
  end
  if msg and not string.find(got_msg, msg, 1, true) then
    error(string.format("message %q does not contain %q", got_msg, msg), 2)
  end
end

-- An org of three users and a two-stage pipeline; add(kind, {field = text}) -> id.
local function org()
  local db = assert(spm.open({ actor = 0, clock = function() return T0 end }))
  local function add(kind, fields)
    local r = assert(db:new(kind))
    for k, v in pairs(fields) do assert(r:set_text(k, v)) end
    assert(r:save())
    return r:id()
  end
  add("role", { name = "admin", scope = "3", actions = "*" })
  add("role", { name = "rep", scope = "1" })
  add("user", { name = "Ada", role_id = "1", active = "true" })
  add("user", { name = "An", role_id = "2", active = "true" })
  add("user", { name = "Bo", role_id = "2", active = "true" })
  add("pipeline", { name = "Sales" })
  add("stage", { pipeline_id = "1", name = "Proposal", position = "2" })
  add("stage", { pipeline_id = "1", name = "Qualify", position = "1" })
  add("stage", { pipeline_id = "1", name = "Lost", position = "3", outcome = "lost" })
  return db, add
end

test("convert with an opportunity in the first stage", function()
  local db <close>, add = org()
  local lead = add("lead", { company = "Acme", contact_name = "Li", source = "expo", owner_id = "2" })
  local c, k, o = db:convert_lead(lead, { pipeline = 1, amount = "1234.56 CNY" })
  eq(c, 1, "customer"); eq(k, 1, "contact"); eq(o, 1, "opportunity")
  local opp = assert(db:get("opportunity", o))
  eq(opp:get("stage_id"), 2, "first stage by position")
  eq(opp:get("status"), "open")
  eq(opp:get_text("amount"), "1234.56 CNY")
  eq(opp:get("owner_id"), 2)
  eq(opp:get("source"), "expo")
  fails(spm.EINVAL, "lead 1 is converted", db:convert_lead(lead))
end)

test("convert refuses bad options and changes nothing", function()
  local db <close>, add = org()
  local lead = add("lead", { company = "Acme" })
  fails(spm.ENOTFOUND, "pipeline 9 does not exist", db:convert_lead(lead, { pipeline = 9 }))
  fails(spm.EINVAL, "12.50 CNY", db:convert_lead(lead, { pipeline = 1, amount = 12 }))
  fails(spm.EINVAL, nil, db:convert_lead(lead, { pipeline = 1, amount = "1.005 CNY" }))
  fails(spm.EINVAL, "integer", db:convert_lead(lead, { pipeline = 1.5 }))
  local n = 0
  for _ in assert(db:query("customer")):records() do n = n + 1 end
  eq(n, 0, "no customer")
  local c, k, o = assert(db:convert_lead(lead))
  eq(c, 1); eq(k, 0); eq(o, 0)
end)

test("merge, hand-over and ownership history", function()
  local db <close>, add = org()
  local keep = add("customer", { name = "Acme", owner_id = "2" })
  local drop = add("customer", { name = "ACME Ltd", region = "华东", owner_id = "3" })
  add("opportunity", { name = "Deal", customer_id = tostring(drop), pipeline_id = "1",
                       status = "open", owner_id = "2" })
  assert(db:merge("customer", keep, drop))
  eq(assert(db:get("customer", keep)):get("region"), "华东")
  eq(assert(db:get("opportunity", 1)):get("customer_id"), keep, "opportunity moved")
  fails(spm.EINVAL, "into itself", db:merge("customer", keep, keep))
  eq(db:handover(2, 3, "An left"), 2, "customer and open opportunity")
  local h = assert(db:ownership_history("customer", keep))
  eq(#h, 3, "create, merged create, handover")
  eq(h[3].via, "handover"); eq(h[3].from_owner, 2); eq(h[3].to_owner, 3)
  eq(h[3].reason, "An left"); eq(h[3].at, T0)
  fails(spm.EINVAL, "1..500 bytes", db:handover(3, 2, ""))
  fails(spm.EINVAL, "not 'contact'", db:ownership_history("contact", 1))
end)

test("assignment on create", function()
  local db <close>, add = org()
  add("assignment_rule", { position = "1", name = "rr", method = "round_robin", users = "2,3" })
  local bad = assert(db:new("pool_policy"))
  fails(spm.EINVAL, "not a boolean", bad:set_text("assign_on_create", "maybe"))
  add("pool_policy", { max_open = "1", assign_on_create = "true", assign_seed = "7" })
  local a, b, c = add("lead", { company = "A" }), add("lead", { company = "B" }),
    add("lead", { company = "C" })
  local h = assert(db:ownership_history("lead", b))
  eq(#h, 1); eq(h[1].via, "assign"); eq(h[1].to_owner, 3)
  eq(h[1].reason, "rule 1 round_robin: user 3, turn 2 of 2")
  eq(#assert(db:ownership_history("lead", a)), 1)
  eq(#assert(db:ownership_history("lead", c)), 0, "both reps are full")
end)

test("seeded assignment, tags and the customer 360", function()
  local db <close>, add = org()
  add("assignment_rule", { position = "1", name = "fair", method = "least_busy", users = "2,3" })
  add("lead", { company = "Tie" })
  eq(db:assign_pool_seeded(42), 1)
  local c = add("customer", { name = "Acme", owner_id = "2", tags = " vip ,华东" })
  add("customer", { name = "B", tags = "vip" })
  local ids = assert(db:customers_tagged("vip"))
  eq(#ids, 2); eq(ids[1], 1); eq(ids[2], 2)
  fails(spm.EINVAL, "without a comma", db:customers_tagged("a,b"))
  add("opportunity", { name = "A", customer_id = "1", pipeline_id = "1", status = "open",
                       amount = "10.01 CNY" })
  add("opportunity", { name = "B", customer_id = "1", pipeline_id = "1", stage_id = "3",
                       status = "lost" })
  local json, open, won, lost = assert(db:customer_360(c))
  eq(open, 1); eq(won, 0); eq(lost, 1)
  assert(json:find('"tags":["vip","华东"]', 1, true), json)
  assert(json:find('"open_amount":{"CNY":1001}', 1, true), json)
  assert(db:set_actor(3))
  fails(spm.ENOTFOUND, nil, db:customer_360(c))
end)

test("CSV import reports rows, errors and ids; export renders a query", function()
  local db <close> = assert(spm.open({ actor = 0, clock = function() return T0 end }))
  local r = assert(db:import_csv("customer", "name,region\nAcme,华东\nBeta,华北\n"))
  eq(r.rows, 2); eq(r.stored, 2); eq(r.bad, 0); eq(r.ids[2], 2); eq(r.message, "")
  local ok, msg, code, rep = db:import_csv("customer", "name,owner_id\nC,1\nD,x\n")
  fails(spm.EINVAL, nil, ok, msg, code)
  eq(rep.bad, 1); eq(rep.stored, 0); eq(rep.errors[1].line, 3); eq(rep.errors[1].column, "owner_id")
  r = assert(db:import_csv("customer", "name,owner_id\nC,1\nD,x\n", { mode = "skip_bad_rows" }))
  eq(r.stored, 1); eq(r.bad, 1)
  r = assert(db:import_csv("customer", "公司,备注\nE,x\n",
    { mapping = { ["公司"] = "name", ["备注"] = false }, dry_run = true }))
  eq(r.rows, 1); eq(r.stored, 0)
  fails(spm.EINVAL, "mode is", db:import_csv("customer", "name\nA\n", { mode = "often" }))
  eq(db:export_csv("customer", nil, { "name", "region" }),
     "name,region\r\nAcme,华东\r\nBeta,华北\r\nC,\r\n")
  local q = assert(db:query("customer")):where("region", "=", "华北")
  eq(db:export_csv("customer", q, { "name" }), "name\r\nBeta\r\n")
  fails(spm.ENOTFOUND, nil, db:export_csv("customer", nil, { "nope" }))
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
os.exit(failed == 0 and 0 or 1, true)
