-- wrk script of the yardstick (bench/peers/run.sh): POST /chatkit with keep-alive.
--   [CHATKIT_VALIDATE=1] wrk ... -s chatkit.lua URL -- MODE
-- MODE `stream`: threads.create with the text "stream 100", X-User-Id drawn from 1,000 users.
-- MODE `list`:   threads.list (limit 50) of the user "lister", whom run.sh gave 60 threads.
-- With CHATKIT_VALIDATE=1, every response is checked (status 200 and the body's shape); done() prints one line
--   VALIDATE responses=N bad=N events=N first_bad=...
-- Without it, done() prints the figures of the run:
--   RESULT requests=N seconds=S p50_ms=X p99_ms=X errors=N
local mode
-- Read when the script loads: wrk collects bodies only when a response() function exists, so it is defined for
-- validation runs only.
local validating = os.getenv("CHATKIT_VALIDATE") == "1"
local threads = {}

local function post(user, body)
  return wrk.format("POST", "/chatkit",
    { ["Content-Type"] = "application/json", ["X-User-Id"] = user }, body)
end

local stream_body =
  '{"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"stream 100"}],' ..
  '"attachments":[],"inference_options":{}}}}'
local list_request

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "stream"
  list_request = post("lister", '{"type":"threads.list","params":{"limit":50}}')
  responses, bad, events, first_bad = 0, 0, 0, ""
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  if mode == "list" then return list_request end
  return post("u" .. math.random(0, 999), stream_body)
end

local function count(s, pattern)
  local n = 0
  for _ in string.gmatch(s, pattern) do n = n + 1 end
  return n
end

local function check(status, body)
  if status ~= 200 then return "status " .. status end
  if mode == "list" then
    if count(body, '"id":"thr_') ~= 50 then return "not 50 threads" end
    if not string.find(body, '"has_more":true', 1, true) then return "no has_more" end
    return nil
  end
  if count(body, "content_part%.text_delta") ~= 100 then return "not 100 text deltas" end
  if count(body, '"type":"thread%.item%.done"') ~= 2 then return "not 2 item.done" end
  if not string.find(body, '"type":"thread.created"', 1, true) then return "no thread.created" end
  if not string.find(body, '"type":"thread.updated"', 1, true) then return "no thread.updated" end
  if string.find(body, '"type":"error"', 1, true) then return "error event" end
  return nil
end

if validating then
  response = function(status, headers, body)
    responses = responses + 1
    events = events + count(body, "data: ")
    local why = check(status, body)
    if why then
      bad = bad + 1
      if first_bad == "" then first_bad = why end
    end
  end
end

function done(summary, latency, requests)
  if validating then
    local r, b, e, fb = 0, 0, 0, ""
    for _, t in ipairs(threads) do
      r = r + t:get("responses"); b = b + t:get("bad"); e = e + t:get("events")
      if fb == "" then fb = t:get("first_bad") end
    end
    io.write(string.format("VALIDATE responses=%d bad=%d events=%d first_bad=%s\n", r, b, e, fb))
    return
  end
  local errs = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errs.connect + errs.read + errs.write + errs.status + errs.timeout))
end
