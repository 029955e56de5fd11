-- wrk script for `make bench`'s search phase: GET /v1/search/vehicles with a random mix of text,
-- filters, sorts and pages (every answer carries facet counts). Counting and the "@bench"
-- lines scripts/bench.sh reads come from post.lua (loaded below; its init and request replaced).
--
-- Environment: BENCH_SEARCH_MIX=all (default: the mix) or "none" (no text, no filter: facet
--              counts over the whole collection, the most expensive answer).

local here = os.getenv("BENCH_SCRIPTS_DIR")
if not here or here == "" then
  here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
end
dofile(here .. "/post.lua")

local mix = os.getenv("BENCH_SEARCH_MIX") or "all"

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
  sent, ok, non2xx, sample_bytes = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", query())
end
