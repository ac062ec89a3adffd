-- Pacing for the wrk scripts of bench/: with RATE set (requests per second over all of wrk's
-- threads, WRK_THREADS of them), each thread hands out send times RATE/WRK_THREADS apart and
-- a connection whose response is in waits for the next free one. A thread that falls behind
-- does not catch up with a burst: it starts again from now, so the rate reached is the rate
-- the server kept up with. Without RATE, no delay: every connection sends again at once.
-- wrk measures a request's latency from its send, so a paced run shows the latency at that
-- offered load; the closed loop shows the most the server does.
local rate = tonumber(os.getenv("RATE") or "0")
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } osteoboard_timespec;
    int clock_gettime(int clock_id, osteoboard_timespec *tp);
  ]])
  local now = ffi.new("osteoboard_timespec")
  local CLOCK_MONOTONIC = 1
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, now)
    return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6
  end
  local interval = 1000 * tonumber(os.getenv("WRK_THREADS") or "1") / rate
  local slot = nil
  delay = function()
    local t = now_ms()
    if slot == nil or slot < t then
      slot = t
    end
    local wait = slot - t
    slot = slot + interval
    return wait
  end
end
