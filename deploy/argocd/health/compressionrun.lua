-- Argo CD health of a nestor.dev CompressionRun (Lua 5.1, gopher-lua; sees only this object).
-- Progressing until the operator has observed the current generation; Failed: Degraded;
-- Succeeded: Healthy; suspended (spec.suspend, e.g. by Kueue): Suspended; else Progressing
-- with the phase and step.
local hs = {}
local function condition(conditions, kind)
  if conditions == nil then return nil end
  for _, c in ipairs(conditions) do
    if c.type == kind then return c end
  end
  return nil
end
local function isTrue(conditions, kind)
  local c = condition(conditions, kind)
  return c ~= nil and c.status == "True"
end
local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then return c.message end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then return c.reason end
  return fallback
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the run"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
local conditions = status.conditions
if status.phase == "Failed" or isTrue(conditions, "Failed") then
  hs.status = "Degraded"
  hs.message = describe(condition(conditions, "Failed"), "Training failed")
  return hs
end
if status.phase == "Succeeded" or isTrue(conditions, "Succeeded") then
  hs.status = "Healthy"
  if status.result ~= nil and status.result.digest ~= nil then
    hs.message = "Published " .. status.result.digest
  else
    hs.message = "Succeeded"
  end
  return hs
end
if status.phase == "Suspended" or isTrue(conditions, "Suspended") or (obj.spec ~= nil and obj.spec.suspend == true) then
  hs.status = "Suspended"
  hs.message = describe(condition(conditions, "Suspended"), "Suspended")
  return hs
end
hs.status = "Progressing"
local message = status.phase or "Pending"
if status.progress ~= nil and status.progress.step ~= nil and status.progress.totalSteps ~= nil then
  message = message .. ": step " .. tostring(status.progress.step) .. "/" .. tostring(status.progress.totalSteps)
end
hs.message = message
return hs
