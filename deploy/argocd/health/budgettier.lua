-- Argo CD health of a nestor.dev BudgetTier (Lua 5.1, gopher-lua; sees only this object).
-- Progressing until the operator has observed the current generation; Degraded=True: Degraded;
-- Ready=True: Healthy; otherwise Progressing (pods starting, a roll, waiting for the model).
local hs = {}
local function condition(conditions, kind)
  if conditions == nil then return nil end
  for _, c in ipairs(conditions) do
    if c.type == kind then return c end
  end
  return nil
end
local function describe(c, fallback)
  if c.message ~= nil and c.message ~= "" then return c.message end
  if c.reason ~= nil and c.reason ~= "" then return c.reason end
  return fallback
end
local function count(value)
  if value == nil then return "0" end
  return tostring(value)
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the tier"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
local degraded = condition(status.conditions, "Degraded")
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded, "Degraded")
  return hs
end
local replicas = count(status.readyReplicas) .. "/" .. count(status.desiredReplicas) .. " replicas ready"
local ready = condition(status.conditions, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = replicas
  return hs
end
hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready, replicas)
else
  hs.message = replicas
end
return hs
