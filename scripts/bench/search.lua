-- wrk script for `make bench`'s search phase: GET /v1/search/vehicles with a random mix of text,
-- filters, sorts and pages (every answer carries facet counts). done() prints "@bench" lines
-- in the format scripts/bench.sh reads (see post.lua).
--
-- Environment: BENCH_SEARCH_MIX=all (default: the mix) or "none" (no text, no filter: facet
--              counts over the whole collection, the most expensive answer).

local mix = os.getenv("BENCH_SEARCH_MIX") or "all"
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local words = { "toyota", "camry", "suv", "leather", "one owner", "pickup truck", "honda civic", "low mileage",
  "awd", "sunroof", "navigation", "ford", "hybrid", "coupe", "family" }
local makes = { "Toyota", "Honda", "Ford", "Chevrolet", "Nissan", "BMW", "Audi", "Kia", "Hyundai", "Mazda",
  "Subaru", "Volkswagen" }
local sorts = { "relevance", "newest", "price", "-price", "-year" }

local function pick(list) return list[math.random(#list)] end
local function encode(text) return (text:gsub(" ", "%%20")) end

local function query()
  if mix == "none" then return "/v1/search/vehicles" end
  local parts = {}
  if math.random() < 0.5 then table.insert(parts, "q=" .. encode(pick(words))) end
  if math.random() < 0.4 then table.insert(parts, "make=" .. pick(makes)) end
  if math.random() < 0.3 then table.insert(parts, "year_min=" .. math.random(2010, 2022)) end
  if math.random() < 0.3 then table.insert(parts, "price_max=" .. (math.random(10, 60) * 1000)) end
  if math.random() < 0.1 then table.insert(parts, "dealer=d" .. math.random(1, 200)) end
  if math.random() < 0.5 then table.insert(parts, "sort=" .. pick(sorts)) end
  if math.random() < 0.3 then table.insert(parts, "page=" .. math.random(2, 3)) end
  return "/v1/search/vehicles?" .. table.concat(parts, "&")
end

function init(args)
  math.randomseed(os.time() + tid * 7919)
  sent, ok, non2xx = 0, 0, 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", query())
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local s, o, n = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("sent")
    o = o + thread:get("ok")
    n = n + thread:get("non2xx")
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
  line("body_bytes", 0)
  line("p50_ms", string.format("%.3f", latency:percentile(50) / 1000))
  line("p90_ms", string.format("%.3f", latency:percentile(90) / 1000))
  line("p99_ms", string.format("%.3f", latency:percentile(99) / 1000))
  line("max_ms", string.format("%.3f", latency.max / 1000))
  line("mean_ms", string.format("%.3f", latency.mean / 1000))
end
