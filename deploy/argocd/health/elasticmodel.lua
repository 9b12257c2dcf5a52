-- Argo CD health of a nestor.dev ElasticModel (Lua 5.1, gopher-lua; sees only this object).
-- Progressing until the operator has observed the current generation; Degraded=True: Degraded;
-- Ready=True: Healthy; otherwise Progressing (weights loading, tiers rolling).
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

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the model"
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
local ready = condition(status.conditions, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  local summary = "Serving"
  if status.checkpoint ~= nil and status.digestShort ~= nil then summary = summary .. " sha256-" .. status.digestShort end
  if status.readyTiers ~= nil then summary = summary .. ", tiers ready " .. status.readyTiers end
  hs.message = summary
  return hs
end
hs.status = "Progressing"
local weights = condition(status.conditions, "WeightsReady")
if weights ~= nil and weights.status ~= "True" then
  hs.message = describe(weights, "Waiting for the weights")
elseif ready ~= nil then
  hs.message = describe(ready, "Waiting for the tiers")
else
  hs.message = "Waiting for the weights"
end
return hs
