-- Analytics from Lua. Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_report.lua
local spm = require "spm"

local T0 = 1767225600 -- 2026-01-01T00:00:00Z
local DAY = 86400
local passed, failed = 0, 0
local tests = {}

local function test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
  end
end

local function add(db, kind, fields)
  local rec = assert(db:new(kind))
  for k, v in pairs(fields) do assert(rec:set(k, v)) end
  assert(rec:save())
  return rec:id()
end

local function pipeline_db()
  local db = assert(spm.open { actor = 0, clock = function() return T0 + 60 * DAY end })
  add(db, "pipeline", { name = "P" })
  add(db, "stage", { pipeline_id = 1, name = "Open", position = 1, probability = 50, outcome = "open" })
  add(db, "stage", { pipeline_id = 1, name = "Won", position = 2, probability = 100, outcome = "won" })
  add(db, "stage", { pipeline_id = 1, name = "Lost", position = 3, probability = 0, outcome = "lost" })
  local deals = { { 2, 2, "1000.00 CNY", 0, 10 }, { 2, 3, "500.00 CNY", 2, 6 }, { 3, 1, "300.00 CNY", 5 } }
  for _, dl in ipairs(deals) do
    local f = { name = "d", owner_id = dl[1], pipeline_id = 1, stage_id = dl[2], amount = dl[3],
      opened_at = T0 + dl[4] * DAY, status = ({ "open", "won", "lost" })[dl[2]] }
    if dl[5] then f.closed_at = T0 + dl[5] * DAY end
    local id = add(db, "opportunity", f)
    add(db, "stage_history", { opportunity_id = id, to_stage_id = 1, at = T0 + dl[4] * DAY })
    if dl[5] then
      add(db, "stage_history", { opportunity_id = id, to_stage_id = dl[2], at = T0 + dl[5] * DAY })
    end
  end
  return db
end

test("win rate by owner: typed cells, empty ones nil", function()
  local db = pipeline_db()
  local r = assert(db:report('{"query": "win_rate", "group_by": "owner"}'))
  eq(#r.columns, 5); eq(r.columns[4].name, "win_rate"); eq(r.columns[4].type, "ratio")
  eq(#r.rows, 2)
  eq(r.rows[1].owner_id, 2); eq(r.rows[1].won, 1); eq(r.rows[1].lost, 1)
  eq(r.rows[1].win_rate, 500000)
  eq(r.rows[1].won_amount.minor, 100000); eq(r.rows[1].won_amount.currency, "CNY")
  eq(r.rows[2].owner_id, 3); eq(r.rows[2].won, 0); eq(r.rows[2].win_rate, nil)
  eq(r.csv, "owner_id,won,lost,win_rate,won_amount\n2,1,1,0.500000,1000.00 CNY\n3,0,0,,\n")
  db:close()
end)

test("periods are dated, drill-down gives ids", function()
  local db = pipeline_db()
  local r = assert(db:report('{"query": "pipeline", "period": "month", "period_field": "opened_at"}'))
  eq(r.rows[1].period, "2026-01"); eq(r.rows[1].period_start, "2026-01-01")
  eq(r.rows[1].weighted_amount.minor, 15000)
  r = assert(db:report('{"query": "funnel", "pipeline": 1, "funnel": "current", "drill": true}'))
  eq(#r.rows, 3); eq(r.ids[1][1], 3); eq(#r.ids[2], 1)
  db:close()
end)

test("saved reports and dashboards", function()
  local db = pipeline_db()
  assert(db:report_save("wins", '{"query": "win_rate"}'))
  assert(db:report_save("board", '{"dashboard": [{"report": "wins", "layout": {"w": 4}}]}'))
  local all = assert(db:reports())
  eq(all.wins, '{"query": "win_rate"}')
  eq(assert(db:report_run("wins")).rows[1].won, 1)
  local items = assert(db:dashboard("board"))
  eq(#items, 1); eq(items[1].layout, '{"w":4}'); eq(items[1].result.rows[1].lost, 1)
  local ok, msg, code = db:report_run("nope")
  eq(ok, nil); eq(code, spm.ENOTFOUND)
  db:close()
end)

test("rule filters see custom fields", function()
  local db = pipeline_db()
  assert(db:field_add("opportunity", "seats", "integer"))
  for id, seats in pairs({ [1] = 12, [2] = 3, [3] = 40 }) do
    local rec = assert(db:get("opportunity", id))
    assert(rec:set("seats", seats)); assert(rec:save())
  end
  local r = assert(db:report('{"query": "win_rate", "rule": "seats >= 10"}'))
  eq(r.rows[1].won, 1); eq(r.rows[1].lost, 0)
  r = assert(db:report('{"query": "pipeline", "rule": "seats > 10"}'))
  eq(r.rows[1].open_deals, 1)
  local ok, msg, code = db:report('{"query": "win_rate", "rule": "seats = \'x\'"}')
  eq(ok, nil); eq(code, spm.EINVAL); eq(msg, "$.rule: 1:7: cannot compare integer with text")
  db:close()
end)

test("team rows follow the membership on the close date", function()
  local db = pipeline_db()
  add(db, "role", { name = "rep", scope = 1 })
  for _, name in ipairs({ "Admin", "An", "Bo" }) do add(db, "user", { name = name, role_id = 1, active = true }) end
  add(db, "team", { name = "East" }); add(db, "team", { name = "West" })
  -- An (user 2) closes deals on days 6 and 10, and moves East -> West on day 8
  add(db, "membership", { user_id = 2, team_id = 1, valid_from = "2026-01-01", valid_to = "2026-01-08" })
  add(db, "membership", { user_id = 2, team_id = 2, valid_from = "2026-01-09" })
  local r = assert(db:report('{"query": "win_rate", "group_by": "team"}'))
  eq(#r.rows, 3)
  eq(r.rows[1].team, nil); eq(r.rows[2].team, "East"); eq(r.rows[3].team, "West")
  eq(r.rows[2].won, 0); eq(r.rows[2].lost, 1)
  eq(r.rows[3].won, 1); eq(r.rows[3].lost, 0)
  db:close()
end)

test("bad definitions fail with the JSON path", function()
  local db = pipeline_db()
  local ok, msg, code = db:report('{"query": "win_rate", "group_by": "colour"}')
  eq(ok, nil); eq(code, spm.EINVAL); eq(msg, "$.group_by: unknown dimension 'colour'")
  ok, msg, code = db:report_save("bad", '{"query": 1}')
  eq(ok, nil); eq(code, spm.EINVAL)
  ok, msg, code = db:report(42)
  eq(ok, nil)
  db:close()
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
