-- wrk script for `make bench`: POST /v1/messages with a ~1 KB JSON body whose subject changes
-- on every request. done() prints machine-readable lines "@bench <key> <value>" that
-- scripts/bench.sh parses.
--
-- Environment: BENCH_TOKEN (bearer token), BENCH_BODY_BYTES (target body size, default 1024),
--              BENCH_RUN (a label that keeps subjects distinct across runs).
--
-- Counters kept per thread: sent (requests written), ok (2xx), non2xx. sent - (ok + non2xx) is
-- what was still in flight when wrk stopped: those requests may have been committed by the hub
-- without wrk ever seeing the answer.

local token = os.getenv("BENCH_TOKEN") or "bench-token-0123456789abcdef"
local target = tonumber(os.getenv("BENCH_BODY_BYTES") or "1024")
local run = os.getenv("BENCH_RUN") or "run"

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function body(n, pad)
  return '{"type":"bench.order","subject":"order-' .. run .. '-' .. tid .. '-' .. n .. '",'
    .. '"data":{"order_id":' .. n .. ',"thread":' .. tid .. ','
    .. '"customer":{"id":"c-' .. (n % 1000) .. '","name":"Bench Customer","email":"bench@example.com"},'
    .. '"items":[{"sku":"SKU-1","qty":2,"price":19.99},{"sku":"SKU-2","qty":1,"price":5.5}],'
    .. '"currency":"EUR","pad":"' .. pad .. '"}}'
end

function init(args)
  sent, ok, non2xx = 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  -- Size the padding for a six-digit counter, so bodies are ~target bytes for the whole run.
  local probe = #body(100000, "")
  padding = string.rep("x", math.max(0, target - probe))
  sample_bytes = #body(100000, padding)
end

function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, body(sent, padding))
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local s, o, n, bytes = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("sent")
    o = o + thread:get("ok")
    n = n + thread:get("non2xx")
    bytes = thread:get("sample_bytes")
  end
  local e = summary.errors
  local function line(key, value) io.write(string.format("@bench %s %s\n", key, tostring(value))) end
  line("duration_us", summary.duration)
  line("requests", summary.requests)
  line("sent", s)
  line("ok", o)
  line("non2xx", n)
  line("in_flight", s - o - n)
  line("err_connect", e.connect)
  line("err_read", e.read)
  line("err_write", e.write)
  line("err_status", e.status)
  line("err_timeout", e.timeout)
  line("body_bytes", bytes)
  line("p50_ms", string.format("%.3f", latency:percentile(50) / 1000))
  line("p90_ms", string.format("%.3f", latency:percentile(90) / 1000))
  line("p99_ms", string.format("%.3f", latency:percentile(99) / 1000))
  line("max_ms", string.format("%.3f", latency.max / 1000))
  line("mean_ms", string.format("%.3f", latency.mean / 1000))
end
