-- wrk script for the `webhook` phase of `make bench`: POST /v1/webhooks/bench with Standard
-- Webhooks signatures that scripts/bench/webhook_requests.py signed before the run (LuaJIT has
-- no HMAC). Thread N reads $BENCH_WEBHOOK_DIR/thread-N.txt, one line per request:
-- "<webhook-id> TAB <webhook-timestamp> TAB <webhook-signature>", and sends body.json from the
-- same directory with every request.
--
-- Counting and the "@bench <key> <value>" lines come from post.lua (loaded below; its setup,
-- init, response and done are wrapped, its request replaced), so both phases report the same
-- figures. Added here:
--   accepted   202 answers (stored as new messages)
--   duplicate  200 answers (the id was seen before: not ingest)
--   exhausted  requests sent after the thread ran out of signed lines. No id is ever resent:
--              such a request carries no signature (the hub answers 401, a non-2xx) and the
--              thread stops. Any non-zero value means the run needs more lines.
--
-- Environment: BENCH_WEBHOOK_DIR (required), BENCH_SCRIPTS_DIR (where post.lua is; default:
-- this file's directory), and post.lua's own variables.

local here = os.getenv("BENCH_SCRIPTS_DIR")
if not here or here == "" then
  here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
end
dofile(here .. "/post.lua")

local dir = os.getenv("BENCH_WEBHOOK_DIR") or error("BENCH_WEBHOOK_DIR is not set")
local post_setup, post_init, post_response, post_done = setup, init, response, done

local threads = {}

function setup(thread)
  post_setup(thread)
  thread:set("lines_path", dir .. "/thread-" .. thread:get("tid") .. ".txt")
  table.insert(threads, thread)
end

function init(args)
  post_init(args)
  accepted, duplicate, exhausted = 0, 0, 0
  wrk.headers["Authorization"] = nil   -- vendors sign, they carry no bearer token
  local f = assert(io.open(dir .. "/body.json", "rb"))
  payload = f:read("*a")
  f:close()
  sample_bytes = #payload
  lines = assert(io.open(lines_path, "r"))
end

-- The three headers go into wrk.headers, which holds Content-Type and Host: a table passed to
-- wrk.format would replace wrk.headers rather than add to it.
function request()
  sent = sent + 1
  local line = lines and lines:read("*l")
  local h = wrk.headers
  if line then
    local id, timestamp, signature = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"] = id, timestamp, signature
    return wrk.format(nil, nil, nil, payload)
  end
  if lines then
    lines:close()
    lines = nil
    wrk.thread:stop()
  end
  exhausted = exhausted + 1
  h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"] = "exhausted", nil, nil
  return wrk.format(nil, nil, nil, payload)
end

function response(status, headers, body)
  post_response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status == 200 then
    duplicate = duplicate + 1
  end
end

function done(summary, latency, requests)
  post_done(summary, latency, requests)
  local a, d, x = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("accepted")
    d = d + thread:get("duplicate")
    x = x + thread:get("exhausted")
  end
  io.write(string.format("@bench accepted %d\n@bench duplicate %d\n@bench exhausted %d\n", a, d, x))
end
