-- wrk script for bench/api.py: POST /api/v1/cases/{id}/evaluate over the case ids in
-- the environment variable CASE_IDS (comma-separated), with the bearer token in TOKEN.
-- Prints one JSON line with the figures at the end.

local pace = os.getenv("PACE_LUA")
if pace then
  dofile(pace) -- defines delay() when RATE is set
end

local ids = {}
for id in string.gmatch(os.getenv("CASE_IDS") or "", "[^,]+") do
  ids[#ids + 1] = id
end
local token = os.getenv("TOKEN") or ""
local counter = 0

request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("POST", "/api/v1/cases/" .. id .. "/evaluate", {
    ["Authorization"] = "Bearer " .. token,
    ["Accept"] = "application/json",
  }, "")
end

done = function(summary, latency, requests)
  -- errors.status: responses with a status of 400 or more (wrk counts them itself).
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
