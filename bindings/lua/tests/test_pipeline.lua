-- Tests of the pipeline area of the Lua module: load/export, moves through
-- stage gates, overrides, line items.
-- Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_pipeline.lua
local spm = require "spm"

local T0 = 1772355600 -- 2026-03-01T09:00:00Z
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

local DOC = [[
{"name": "New business", "allow_back": true,
 "stages": [
  {"name": "Qualify", "probability": 10, "required_fields": ["expected_close"],
   "exit_criteria": [{"name": "budget", "rule": "amount >= 1000.00 CNY"}]},
  {"name": "Propose", "probability": 40},
  {"name": "Won", "probability": 100, "outcome": "won"}
 ]}]]

local now = T0
local function setup()
  now = T0
  local db = assert(spm.open { actor = 0, clock = function() return now end })
  local function add(kind, fields)
    local r = assert(db:new(kind))
    for k, v in pairs(fields) do assert(r:set_text(k, v)) end
    assert(r:save())
    return r:id()
  end
  add("role", { name = "admin", scope = "3", actions = "*" })
  add("role", { name = "rep", scope = "1" })
  add("role", { name = "manager", scope = "3", actions = "override_gate" })
  add("user", { name = "Ada", role_id = "1", active = "true" })
  add("user", { name = "An", role_id = "2", active = "true" })
  add("user", { name = "Mo", role_id = "3", active = "true" })
  assert(db:set_actor(1))
  eq(assert(db:load_pipeline(DOC)), 1, "pipeline id")
  assert(db:set_actor(2))
  local deal = add("opportunity", { name = "Big", pipeline_id = "1" })
  return db, deal, add
end

test("load and export round trip", function()
  local db = setup()
  local text = assert(db:export_pipeline(1))
  assert(text:find('"name": "Propose"', 1, true), text)
  local other = assert(spm.open {})
  local id = assert(other:load_pipeline(text))
  eq(other:export_pipeline(id), text, "export of the loaded copy")
  local ok, msg, code = other:export_pipeline(9)
  eq(ok, nil); eq(code, spm.ENOTFOUND); eq(msg, "pipeline 9 does not exist")
  other:close()
  db:close()
end)

test("a bad document gives the path and changes nothing", function()
  local db = setup()
  assert(db:set_actor(1))
  local ok, msg, code = db:load_pipeline('{"name": "X", "stages": [{"name": "A", ' ..
    '"exit_criteria": [{"name": "b", "rule": "budgte > 1"}]}]}')
  eq(ok, nil); eq(code, spm.EINVAL)
  eq(msg, "stages[0].exit_criteria[0].rule: 1:1: unknown field 'budgte'")
  ok, msg, code = db:load_pipeline(DOC)
  eq(code, spm.EEXISTS)
  local n = 0
  for _ in db:query("stage"):records() do n = n + 1 end
  eq(n, 3, "stages")
  db:close()
end)

test("unmet criteria come back with EGATE", function()
  local db, deal = setup()
  local ok, msg, code, unmet = db:move_opportunity(deal, 2)
  eq(ok, nil); eq(code, spm.EGATE); eq(code, -17)
  assert(msg:find("cannot leave stage 'Qualify'", 1, true), msg)
  eq(#unmet, 2, "unmet")
  eq(unmet[1].name, "required: expected_close")
  eq(unmet[2].name, "budget")
  eq(unmet[2].rule, "amount >= 1000.00 CNY")
  eq(unmet[2].why, "amount >= 1000.00 CNY: null (amount = null)")
  eq(#assert(db:check_gate(deal)), 2, "check_gate")
  local r = assert(db:get("opportunity", deal))
  assert(r:set_text("expected_close", "2026-06-30"))
  assert(r:set_text("amount", "1000.00 CNY"))
  assert(r:save())
  now = T0 + 30
  eq(#assert(db:move_opportunity(deal, 2)), 0, "nothing overridden")
  eq(assert(db:get("opportunity", deal)):get("stage_id"), 2)
  assert(db:set_actor(0))
  local h = assert(db:get("stage_history", 1))
  eq(h:get("seconds_in_from"), 30)
  db:close()
end)

test("override needs the action and returns what it overrode", function()
  local db, deal = setup()
  local ok, msg, code = db:move_opportunity(deal, 2, "customer asked")
  eq(ok, nil); eq(code, spm.EPERM)
  assert(msg:find("override_gate", 1, true), msg)
  assert(db:set_actor(3))
  local overridden = assert(db:move_opportunity(deal, 2, "customer asked"))
  eq(#overridden, 2, "overridden")
  assert(db:set_actor(0))
  eq(assert(db:get("stage_history", 1)):get("override_reason"), "customer asked")
  ok, msg, code = db:move_opportunity(deal, 2, 5)
  eq(ok, nil)
  db:close()
end)

test("moves raise named events", function()
  local db, deal = setup()
  local seen = {}
  assert(db:listen(function(e) seen[#seen + 1] = e.type end, { "stage.changed", "opportunity.reopened" }))
  local r = assert(db:get("opportunity", deal))
  assert(r:set_text("expected_close", "2026-06-30"))
  assert(r:set_text("amount", "5000.00 CNY"))
  assert(r:save())
  assert(db:move_opportunity(deal, 2))
  assert(db:move_opportunity(deal, 3))
  assert(db:move_opportunity(deal, 1))
  eq(#seen, 4, "events")
  eq(seen[1], "stage.changed"); eq(seen[3], "stage.changed"); eq(seen[4], "opportunity.reopened")
  db:close()
end)

test("line items are exact", function()
  local db, deal, add = setup()
  local id = add("line_item", { opportunity_id = tostring(deal), product = "P", quantity = "3",
    unit_price = "19.99 CNY", discount_bp = "1250" })
  local minor, cur = assert(db:get("line_item", id)):get("amount")
  eq(minor, 5247); eq(cur, "CNY")
  minor = assert(db:get("opportunity", deal)):get("amount")
  eq(minor, 5247, "deal amount")
  db:close()
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
