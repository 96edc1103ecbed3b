-- Targets in Lua. Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_targets.lua
local spm = require "spm"

local T0 = 1772355600 -- 2026-03-01T09:00:00Z
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
  if msg and not string.find(got_msg, msg, 1, true) then
    error(string.format("message %q does not contain %q", got_msg, msg), 2)
  end
end

local function org()
  local db = assert(spm.open({ actor = 0, clock = function() return T0 end }))
  local function add(kind, fields)
    local r = assert(db:new(kind))
    for k, v in pairs(fields) do assert(r:set_text(k, v)) end
    assert(r:save())
    return r:id()
  end
  add("role", { name = "admin", scope = "3", actions = "*" })
  for _, n in ipairs({ "Ann", "Bo", "Cy" }) do add("user", { name = n, role_id = "1", active = "true" }) end
  add("team", { name = "R" })
  add("team", { name = "S", parent_id = "1" })
  add("membership", { user_id = "1", team_id = "1", valid_from = "2026-01-01" })
  add("membership", { user_id = "2", team_id = "1", valid_from = "2026-01-01" })
  add("membership", { user_id = "3", team_id = "2", valid_from = "2026-01-01" })
  add("pipeline", { name = "P" })
  add("stage", { pipeline_id = "1", name = "won", position = "1", outcome = "won" })
  return db, add
end

test("split is exact and refuses a negative total", function()
  local db = org()
  local parts = assert(db:target_split(10000001, { 1, 1, 1, 1, 1, 1, 1 }))
  eq(#parts, 7); eq(parts[1], 1428572); eq(parts[7], 1428571)
  fails(spm.EINVAL, "negative", db:target_split(-5, { 1, 1 }))
  fails(spm.EINVAL, "every weight is zero", db:target_split(5, { 0, 0 }))
  db:close()
end)

test("decompose over time and over the org", function()
  local db, add = org()
  local year = add("target", { metric = "new_leads", owner_kind = "user", owner_ref = "1",
    period_kind = "year", period_start = "2026-01-01", value = "5300", reason = "plan" })
  local parts, imbalance = assert(db:target_decompose(year, { method = "equal_periods",
    child_period = "week", reason = "weekly" }))
  eq(#parts, 53); eq(parts[1].period_start, "2025-12-29"); eq(parts[53].value, 100); eq(imbalance, 0)
  local month = add("target", { metric = "won_amount", owner_kind = "team", owner_ref = "1",
    period_kind = "month", period_start = "2026-03-01", value = "3100", currency = "CNY",
    reason = "plan" })
  parts = assert(db:target_decompose(month, { method = "headcount", reason = "org", dry_run = true }))
  eq(#parts, 3); eq(parts[1].owner_kind, "team"); eq(parts[1].value, 1034); eq(parts[3].value, 1033)
  eq(parts[1].target_id, 0)
  fails(spm.EINVAL, "imbalance -3094", db:target_decompose(month, { method = "manual",
    weights = { 1, 2, 3 }, keep_total = true, reason = "hand" }))
  fails(spm.EINVAL, "unknown method", db:target_decompose(month, { method = "magic", reason = "x" }))
  fails(spm.EINVAL, "reason", db:target_decompose(month, { method = "headcount" }))
  db:close()
end)

test("decompose a team's target down the whole tree", function()
  local db, add = org()
  local month = add("target", { metric = "won_amount", owner_kind = "team", owner_ref = "1",
    period_kind = "month", period_start = "2026-03-01", value = "3100", currency = "CNY",
    reason = "plan" })
  local parts, decomposed = assert(db:target_decompose_tree(month, { method = "headcount",
    reason = "tree" }))
  eq(#parts, 4); eq(decomposed, 2)
  eq(parts[1].owner_kind, "team"); eq(parts[1].owner_ref, 2); eq(parts[1].value, 1034)
  eq(parts[2].value, 1033); eq(parts[3].value, 1033)
  eq(parts[4].owner_kind, "user"); eq(parts[4].owner_ref, 3); eq(parts[4].value, 1034)
  assert(parts[4].target_id > parts[1].target_id)
  fails(spm.EINVAL, "equal_members, headcount or last_period",
    db:target_decompose_tree(month, { method = "weights", weights = { 1, 1, 1 }, reason = "x" }))
  fails(spm.ENOTFOUND, nil, db:target_decompose_tree(99, { method = "headcount", reason = "x" }))
  db:close()
end)

test("progress of one node and of all nodes, CSV", function()
  local db, add = org()
  local month = add("target", { metric = "won_amount", owner_kind = "team", owner_ref = "1",
    period_kind = "month", period_start = "2026-03-01", value = "310000", currency = "CNY",
    reason = "plan" })
  add("opportunity", { name = "a", pipeline_id = "1", owner_id = "1", stage_id = "1", status = "won",
    amount = "1000.00 CNY", closed_at = "2026-03-05T10:00:00Z" })
  add("opportunity", { name = "b", pipeline_id = "1", owner_id = "3", stage_id = "1", status = "won",
    amount = "500.00 CNY", closed_at = "2026-03-12T10:00:00Z" })
  local p = assert(db:target_progress(month, "2026-03-20"))
  eq(p.attained, 150000); eq(p.expected, 200000); eq(p.pace_ppm, 750000); eq(p.currency, "CNY")
  local all = assert(db:target_progress_all(month, spm.date_parse("2026-03-20")))
  eq(#all, 5); eq(all[2].owner_ref, 2); eq(all[2].attained, 50000); eq(all[5].attained, 50000)
  local csv = assert(db:target_progress_csv(month, "2026-03-20"))
  assert(csv:find("team,1,1,2026-03-01,2026-03-31,3100.00,1500.00,", 1, true), csv)
  fails(spm.ENOTFOUND, nil, db:target_progress(99, "2026-03-20"))
  fails(spm.EINVAL, nil, db:target_progress(month, "March"))
  db:close()
end)

test("JSON of targets and plans", function()
  local db, add = org()
  add("target", { metric = "new_leads", owner_kind = "user", owner_ref = "1",
    period_kind = "quarter", period_start = "2026-01-01", value = "600", reason = "plan" })
  local text = assert(db:target_export_json())
  assert(text:find('"period_start": "2026-01-01"', 1, true), text)
  eq(assert(db:target_import_json(text, "copy")), 1)
  fails(spm.EINVAL, "$[0].value", db:target_import_json('[{"value": []}]', "x"))
  local plan = assert(db:target_plan_from_json('{"method":"weights","weights":[1,2]}'))
  eq(plan.method, "weights"); eq(plan.weights[2], 2)
  fails(spm.EINVAL, "$.method", db:target_plan_from_json('{"method":"magic"}'))
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
