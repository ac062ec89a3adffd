-- wrk script for bench/cds.py: POST /cds-services/osteoboard-patient-view with the bodies in
-- the file BODIES (one JSON document a line, sent in turn) and a fresh JWT per request from
-- the file TOKENS (one per line; thread i of n takes lines i, i+n, i+2n ...), so that no
-- token is sent twice. Prints one JSON line.

local pace = os.getenv("PACE_LUA")
if pace then
  dofile(pace) -- defines delay() when RATE is set
end

local threads = {}
local next_id = 0

setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

init = function(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  -- TOKEN_HALF 0 or 1: the first or the second half of the file (one run each)
  local half = tonumber(os.getenv("TOKEN_HALF") or "-1")
  bodies = {}
  for line in io.lines(os.getenv("BODIES")) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  tokens = {}
  local lines = {}
  for line in io.lines(os.getenv("TOKENS")) do
    lines[#lines + 1] = line
  end
  local first, last = 1, #lines
  if half == 0 then
    last = math.floor(#lines / 2)
  elseif half == 1 then
    first = math.floor(#lines / 2) + 1
  end
  local i = 0
  for n = first, last do
    local line = lines[n]
    if i % nthreads == id then
      tokens[#tokens + 1] = line
    end
    i = i + 1
  end
  used = 0
end

request = function()
  used = used + 1
  local token = tokens[used] or "exhausted"
  -- the threads start at different bodies, and each goes through all of them in turn
  local body = bodies[((used + id * 7919) % #bodies) + 1]
  return wrk.format("POST", "/cds-services/osteoboard-patient-view", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
