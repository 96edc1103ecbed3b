-- funnel_report: six deals move through a pipeline over a few days; then a
-- funnel and a win rate by owner are run with db:report() and printed as
-- tables. The same steps and output as examples/funnel_report.c.
--
--   lua5.4 funnel_report.lua          (in-memory database, a clock it sets)
local spm = require "spm"

local PIPELINE = [[{"name": "New business", "allow_skip": true, "stages": [
 {"name": "Qualify", "probability": 10, "forecast_category": "pipeline"},
 {"name": "Propose", "probability": 40, "forecast_category": "best_case"},
 {"name": "Negotiate", "probability": 70, "forecast_category": "commit"},
 {"name": "Won", "probability": 100, "forecast_category": "closed", "outcome": "won"},
 {"name": "Lost", "probability": 0, "forecast_category": "omitted", "outcome": "lost"}]}]]
-- Stage ids of a fresh database, in the document's order.
local QUALIFY, PROPOSE, NEGOTIATE, WON, LOST = 1, 2, 3, 4, 5

local now = 1772355600 -- 2026-03-01T09:00:00Z; the clock reads it, the program moves it
-- The system actor (0) sets up and moves every deal.
local db = assert(spm.open { actor = 0, clock = function() return now end })
local pipeline = assert(db:load_pipeline(PIPELINE))
assert(assert(db:new("role", { name = "rep", scope = 1 })):save())
for _, name in ipairs { "An", "Bo" } do -- users 1 and 2
  assert(assert(db:new("user", { name = name, role_id = 1, active = true })):save())
end

local function deal(name, owner, minor)
  local rec = assert(db:new("opportunity", { name = name, pipeline_id = pipeline,
    owner_id = owner, lost_reason = "price" }))
  assert(rec:set("amount", minor, "CNY"))
  assert(rec:save())
  return rec:id()
end

local function walk(id, stages)
  for _, stage in ipairs(stages) do -- one day apart
    now = now + 86400
    assert(db:move_opportunity(id, stage))
  end
end

-- A cell as text: ratios are integers in parts per million (shown as exact
-- percentages), money is { minor =, currency = }, an empty cell is nil (never 0).
local function cell(value, type)
  if value == nil then return "-" end
  if type == "ratio" then return string.format("%d.%04d%%", value // 10000, value % 10000) end
  if type == "money" then
    return spm.money_format(value.minor, value.currency) .. " " .. value.currency
  end
  return tostring(value)
end

local function report(json)
  print()
  print(json)
  local r, msg, code = db:report(json)
  if not r then
    print(spm.result_name(code) .. ": " .. msg)
    return
  end
  local line = {}
  for i, c in ipairs(r.columns) do line[i] = string.format("%-12s", c.name) end
  print(table.concat(line))
  for _, row in ipairs(r.rows) do
    for i, c in ipairs(r.columns) do line[i] = string.format("%-12s", cell(row[c.name], c.type)) end
    print(table.concat(line))
  end
end

local d = { deal("Acme", 1, 1200000), deal("Globex", 1, 800000), deal("Initech", 1, 300000),
  deal("Umbrella", 2, 2500000), deal("Hooli", 2, 450000), deal("Stark", 2, 990000) }
walk(d[1], { PROPOSE, NEGOTIATE, WON })
walk(d[2], { PROPOSE, LOST })
walk(d[3], { PROPOSE })
walk(d[4], { PROPOSE, NEGOTIATE, WON })
walk(d[5], { LOST })
-- d[6] stays in Qualify.

report(string.format('{"query": "funnel", "pipeline": %d, "funnel": "reached"}', pipeline))
report('{"query": "win_rate", "group_by": "owner"}')
-- A mistake names where it is.
report('{"query": "win_rate", "group_by": "colour"}')
db:close()
