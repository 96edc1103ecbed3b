-- Lua: quotes and approvals, payment plans and payments, comments and tasks.
-- Run: LUA_CPATH=<build>/bindings/lua/?.so lua5.4 test_collab.lua
local spm = require "spm"

local T0 = 1772355600 -- 2026-03-01T09:00:00Z
local DAY = 86400
local passed, failed = 0, 0
local tests = {}

local function test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)), 2)
  end
end

local function fails(code, msg, ok, got_msg, got_code, ...)
  if ok ~= nil then error("expected a failure, got " .. tostring(ok), 2) end
  if got_code ~= code then
    error(string.format("code: got %s (%s), want %s", tostring(got_code), tostring(got_msg),
      tostring(code)), 2)
  end
  if msg and not string.find(got_msg, msg, 1, true) then
    error(string.format("message %q does not contain %q", got_msg, msg), 2)
  end
  return ...
end

-- An org: 1 admin, 2 An and 3 Bo (reps in team 1 of 4 Mo), An's customer, a won deal.
local function org()
  local db = assert(spm.open { actor = 0, clock = function() return T0 end })
  local function add(kind, fields)
    local rec = assert(db:new(kind, fields))
    assert(rec:save())
    local id = rec:id()
    rec:close()
    return id
  end
  add("role", { name = "admin", scope = 3, actions = "*" })
  add("role", { name = "rep", scope = 1 })
  add("role", { name = "manager", scope = 2 })
  for _, u in ipairs { { "Ada", 1 }, { "An", 2 }, { "Bo", 2 }, { "Mo", 3 } } do
    add("user", { name = u[1], role_id = u[2], active = true })
  end
  add("team", { name = "T", manager_id = 4 })
  add("membership", { user_id = 2, team_id = 1, valid_from = "2026-01-01" })
  add("membership", { user_id = 3, team_id = 1, valid_from = "2026-01-01" })
  add("pipeline", { name = "Sales" })
  add("stage", { pipeline_id = 1, name = "Won", position = 1, outcome = "won" })
  add("customer", { name = "Acme", owner_id = 2 })
  add("opportunity", { name = "Deal", pipeline_id = 1, customer_id = 1, owner_id = 2,
    stage_id = 1, status = "won", amount = "1000.00 CNY" })
  return db, add
end

local function count(db, type)
  local n = 0
  for _, e in ipairs(assert(db:outbox(0))) do
    if e.type == type then n = n + 1 end
  end
  return n
end

test("a deep discount waits for the manager, then the quote goes out", function()
  local db <close>, add = org()
  add("approval_flow", { name = "Big discount", action = "quote_discount", kind = "quote",
    condition = "effective_discount_bp > 1500", steps = "manager" })
  local q = add("quote", { opportunity_id = 1 })
  add("quote_line", { quote_id = q, product = "Widget", quantity = 10, unit_price = "100.00 CNY",
    discount_bp = 2000 })
  assert(db:set_actor(2))
  local request = fails(spm.EAPPROVAL, "needs approval", db:quote_send(q))
  eq(request, 1, "request id")
  local dup = fails(spm.EEXISTS, nil, db:approval_submit("quote_discount", "quote", q))
  eq(dup, request)
  assert(db:set_actor(3))
  fails(spm.EPERM, "not an approver", db:approval_approve(request))
  assert(db:set_actor(4))
  assert(db:approval_approve(request, "ok"))
  assert(db:set_actor(2))
  assert(db:quote_send(q))
  eq(assert(db:get("quote", q)):get("status"), "sent")
  local q2 = assert(db:quote_revise(q))
  eq(assert(db:get("quote", q2)):get("version"), 2)
  fails(spm.EINVAL, "not the latest", db:quote_revise(q))
  assert(db:set_actor(0))
  eq(count(db, "approval.submitted"), 1)
  eq(count(db, "approval.approved"), 1)
  eq(spm.EAPPROVAL, -18)
end)

test("reject, resubmit, cancel", function()
  local db <close>, add = org()
  add("approval_flow", { name = "Any", action = "reopen", kind = "opportunity",
    steps = "user:1" })
  local r1 = assert(db:approval_submit("reopen", "opportunity", 1, "from lost"))
  assert(db:set_actor(1))
  assert(db:approval_reject(r1, "no"))
  fails(spm.EINVAL, "not pending", db:approval_approve(r1))
  assert(db:set_actor(2))
  local r2 = assert(db:approval_submit("reopen", "opportunity", 1, "from lost"))
  assert(r2 ~= r1)
  assert(db:approval_cancel(r2))
  fails(spm.ENOTFOUND, nil, db:approval_cancel(99))
  fails(spm.ENOTFOUND, "no active approval flow", db:approval_submit("other", "opportunity", 1))
end)

test("plans, payments and overdue installments", function()
  local db <close>, add = org()
  local c = add("contract", { opportunity_id = 1, amount = "100.00 CNY" })
  local parts = assert(db:installment_split(10000, 3))
  eq(parts[1], 3334); eq(parts[2], 3333); eq(parts[3], 3333)
  fails(spm.EINVAL, nil, db:installment_split(2, 3))
  fails(spm.EINVAL, "sum to 99.99 CNY", db:contract_set_plan(c, { { "2026-03-10", 9999 } }))
  fails(spm.EINVAL, "YYYY-MM-DD", db:contract_set_plan(c, { { "March", 10000 } }))
  assert(db:contract_set_plan(c, { { "2026-03-10", parts[1] }, { "2026-04-10", parts[2] },
    { "2026-05-10", parts[3] } }))
  add("payment", { contract_id = c, amount = "10.00 CNY", received_at = T0 })
  eq(assert(db:get("installment", 1)):get("status"), "partial")
  local rec = assert(db:new("payment", { contract_id = c, amount = "95.00 CNY", received_at = T0 }))
  fails(spm.EINVAL, "exceeds", rec:save())
  assert(db:tick(T0 + 10 * DAY))
  assert(db:tick(T0 + 11 * DAY))
  eq(count(db, "installment.overdue"), 1)
  eq(count(db, "payment.received"), 1)
end)

test("comments mention users; tasks follow their record's visibility", function()
  local db <close>, add = org()
  add("task", { title = "Call", assignee_id = 2, due_at = T0 + 60, record_kind = "customer",
    record_id = 1 })
  assert(db:tick(T0 + 120))
  eq(count(db, "task.overdue"), 1)
  assert(db:set_actor(2))
  local c = assert(db:comment_add("customer", 1, "@[Mo] @[3] see this"))
  eq(assert(db:get("comment", c)):get("mentions"), "3,4")
  fails(spm.EINVAL, "names no user", db:comment_add("customer", 1, "@[Nobody]"))
  assert(db:set_actor(3))
  fails(spm.ENOTFOUND, nil, db:comment_add("customer", 1, "hi"))
  fails(spm.ENOTFOUND, nil, db:get("task", 1))
  assert(db:set_actor(0))
  eq(count(db, "mention"), 2)
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
