-- quickstart: open a database, define a custom field, write records, and
-- print the audit trail and the outbox. The same steps and output as
-- examples/quickstart.c.
--
--   lua5.4 quickstart.lua [FILE]      (default: an in-memory database)
local spm = require "spm"

-- Errors come back as nil, message, code (like io.open); assert raises them.
local db = assert(spm.open { path = arg[1] or ":memory:", actor = 7 }) -- actor: who writes

-- A custom field: customer grade, one of A/B/C.
local ok, msg, code = db:field_add("customer", "grade", "enum",
  { choices = { "A", "B", "C" }, label = "客户分级" })
if ok then ok, msg, code = db:field_add("customer", "credit_limit", "money") end
if not ok and code ~= spm.EEXISTS then error(msg) end

-- Create a customer, then change it. Money is exact: minor units and a currency.
local acme = assert(db:new("customer", { name = "Acme 有限公司", grade = "B" }))
assert(acme:set("credit_limit", 5000000, "CNY"))
assert(acme:save())
assert(acme:set("grade", "A"))
assert(acme:save())
print(string.format("customer %d saved at change %d", acme:id(), acme:seq()))

-- A bad value is refused and changes nothing.
local bad = assert(db:new("customer"))
ok, msg, code = bad:set("grade", "Z")
print(string.format("grade Z: %s: %s", spm.result_name(code), msg))

print("audit trail:")
for _, e in ipairs(assert(db:audit())) do
  print(string.format("  #%-3d seq %-3d %-8s %s %d %s: %s -> %s", e.id, e.change_seq, e.op,
    e.kind, e.entity_id, e.field or "-", e.old_value or "(none)", e.new_value or "(none)"))
end
print("outbox:")
for _, ev in ipairs(assert(db:outbox())) do
  print(string.format("  event %-3d %-15s %s %d %s", ev.seq, ev.type, ev.kind, ev.entity_id,
    ev.payload))
end
db:close()
