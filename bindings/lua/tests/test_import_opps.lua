-- Tests of db:import_opps() and db:export_opps().
-- Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_import_opps.lua
local spm = require "spm"

local passed, failed = 0, 0
local tests = {}

local function test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
  end
end

local OPPS = "Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate\r\n" ..
  "006A,001A,Acme Generators,Closed Won,15000,02/03/24,01/10/24\r\n" ..
  "006B,001A,Acme SLA,Negotiation/Review,5000.50,03/31/24,01/15/24\r\n"
local HISTORY = "OpportunityId,CreatedDate,StageName,Amount\r\n" ..
  "006A,02/03/24 05:30 PM,Closed Won,15000\r\n" ..
  "006A,01/10/24 09:00 AM,Prospecting,10000\r\n" ..
  "006B,01/15/24 10:00 AM,Negotiation/Review,5000.50\r\n"

local function add(db, kind, fields)
  local r = assert(db:new(kind))
  for k, v in pairs(fields) do assert(r:set_text(k, v)) end
  assert(r:save())
  return r:id()
end

local function crm()
  local db = assert(spm.open { actor = 0, clock = function() return 1767225600 end })
  local p = add(db, "pipeline", { name = "Sales" })
  add(db, "stage", { pipeline_id = tostring(p), name = "Prospecting", position = "1", outcome = "open" })
  add(db, "stage", { pipeline_id = tostring(p), name = "Negotiation/Review", position = "2", outcome = "open" })
  add(db, "stage", { pipeline_id = tostring(p), name = "Closed Won", position = "3", outcome = "won" })
  assert(db:field_add("customer", "external_id", "text"))
  add(db, "customer", { name = "Acme", external_id = "001A" })
  return db, p
end

local function history(db, opp)
  local out = {}
  local q = assert(db:query("stage_history"))
  for rec in q:records() do
    if rec:get("opportunity_id") == opp then
      out[#out + 1] = string.format("%s>%s@%d+%s", tostring(rec:get("from_stage_id")),
        rec:get("to_stage_id"), rec:get("at"), tostring(rec:get("seconds_in_from")))
    end
  end
  table.sort(out)
  return table.concat(out, ";")
end

test("Salesforce files give the exact stage history", function()
  local db, p = crm()
  local r = assert(db:import_opps(OPPS, { pipeline = p, history = HISTORY, currency = "USD",
    dates = "mdy" }))
  eq(r.counts.opportunities.created, 2, "created")
  eq(r.counts.history.created, 3, "history created")
  eq(r.counts.line_items.rows, 0, "items")
  eq(#r.problems, 0, "problems")
  eq(r.message, "")
  local a = r.ids["006A"]
  assert(a and r.ids["006B"])
  -- stages 1 Prospecting, 3 Closed Won; 2024-01-10T09:00Z, 2024-02-03T17:30Z
  eq(history(db, a), "1>3@1706981400+2104200;nil>1@1704877200+nil")
  local opp = assert(db:get("opportunity", a))
  eq(opp:get("status"), "won")
  eq(opp:get("closed_at"), 1706981400)
  eq(opp:get("amount"), 1500000)
  db:close()
end)

test("bad rows fail with the report and store nothing", function()
  local db, p = crm()
  local bad = OPPS .. "006C,001Z,Zeta,Closed Lost,1.001,02/03/24,01/10/24\r\n"
  local ok, msg, code, r = db:import_opps(bad, { pipeline = p, currency = "USD", dates = "mdy" })
  eq(ok, nil); eq(code, spm.EINVAL); eq(msg, "1 bad row: nothing stored")
  eq(r.counts.opportunities.bad, 1)
  eq(r.problems[1].file, "opportunities"); eq(r.problems[1].line, 4)
  eq(r.problems[1].column, "StageName")
  eq(r.problems[1].message, "stage 'Closed Lost' is not in pipeline " .. p)
  eq(r.problems[1].warning, false)
  local n = 0
  for _ in assert(db:query("opportunity")):records() do n = n + 1 end
  eq(n, 0, "stored")
  -- skip bad rows with lenient references and created stages
  r = assert(db:import_opps(bad:gsub("1%.001", "1.00"), { pipeline = p, currency = "USD",
    dates = "mdy", lenient = true, create_stages = true, skip_bad_rows = true }))
  eq(r.counts.opportunities.created, 3); eq(r.stages_created, 1)
  eq(r.problems[1].warning, true)
  eq(r.problems[1].message, "no customer has external_id '001Z': left empty")
  db:close()
end)

test("re-import changes nothing; export imports back", function()
  local db, p = crm()
  assert(db:import_opps(OPPS, { pipeline = p, history = HISTORY, currency = "USD", dates = "mdy" }))
  local again = assert(db:import_opps(OPPS, { pipeline = p, history = HISTORY, currency = "USD",
    dates = "mdy" }))
  eq(again.counts.opportunities.unchanged, 2); eq(again.counts.history.unchanged, 3)
  eq(again.counts.history.created, 0)
  local opps = assert(db:export_opps(p, "opportunities"))
  local hist = assert(db:export_opps(p, "history"))
  eq(hist:match("^[^\r]*\r\n([^\r]*)"), "006A,Prospecting,2024-01-10 09:00:00,10000.00,USD,")
  local db2, p2 = crm()
  local r = assert(db2:import_opps(opps, { pipeline = p2, history = hist,
    mappings = { history = { OpportunityId = "opportunity", StageName = "stage",
      CreatedDate = "at", Amount = "amount", CurrencyIsoCode = "currency", CreatedById = false } } }))
  eq(r.counts.history.created, 3)
  eq(db2:export_opps(p2, "history"), hist)
  eq(db2:export_opps(p2), opps)
  db2:close()
  db:close()
end)

test("bad arguments", function()
  local db, p = crm()
  local ok, msg, code = db:import_opps(OPPS, { pipeline = 0 })
  eq(ok, nil); eq(code, spm.EINVAL); eq(msg, "an opportunity import needs a pipeline (pipeline_id)")
  ok, msg, code = db:import_opps(OPPS, { pipeline = 99 })
  eq(code, spm.ENOTFOUND); eq(msg, "pipeline 99 does not exist")
  ok, msg, code = db:import_opps(OPPS, { pipeline = p, dates = "ymd" })
  eq(code, spm.EINVAL)
  ok, msg, code = db:import_opps(OPPS, { pipeline = 1.5 })
  eq(code, spm.EINVAL)
  ok, msg, code = db:import_opps(OPPS, { pipeline = p, mappings = { opportunities = { Id = "nope" } } })
  eq(code, spm.ENOTFOUND)
  eq(pcall(db.import_opps, db, OPPS, { pipeline = p, mappings = { history = { [1] = "x" } } }), false)
  ok, msg, code = db:export_opps(99, "history")
  eq(code, spm.ENOTFOUND)
  eq(pcall(db.export_opps, db, p, "items"), false)
  db:close()
  eq(pcall(db.import_opps, db, OPPS, { pipeline = p }), false)
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
