-- wrk script of the server's load test (scripts/server-load-test.sh runs it):
--
--   wrk -t64 -c64 -d10s -s examples/Server/load-test.lua URL -- NAME REQUESTS EXPECTED TOLERANCE
--
-- POSTs the bodies of REQUESTS (one JSON body a line) round-robin, each thread starting at its own line, and checks
-- every answer against the same line of EXPECTED, the answer computed beforehand on one thread: byte for byte when
-- TOLERANCE is 0, otherwise every number within TOLERANCE and the text between the numbers the same (ONNX Runtime is
-- another engine, so its floats may differ in the last bits).
--
-- One connection per thread (-t equal to -c): wrk then sends a thread's next request only after the answer to its
-- last, so response() always belongs to the request() before it. Prints one line
--   RESULT name requests/s p50_ms p99_ms responses wrong errors
-- for the shell script, after wrk's own report.

local requests, expected = {}, {}
local position, current = 0, 0
local tolerance = 0
checked, wrong, shown = 0, 0, 0

local function lines(path)
    local list = {}
    for line in io.lines(path) do
        list[#list + 1] = line
    end
    return list
end

-- A JSON number: an optional minus, digits, an optional fraction and exponent.
local number_pattern = "%-?%d+%.?%d*[eE]?[%-+]?%d*"

local function same(answer, reference)
    if tolerance == 0 then
        return answer == reference
    end
    if answer:gsub(number_pattern, "#") ~= reference:gsub(number_pattern, "#") then
        return false
    end
    local values = {}
    for value in answer:gmatch(number_pattern) do
        values[#values + 1] = tonumber(value)
    end
    local i = 0
    for value in reference:gmatch(number_pattern) do
        i = i + 1
        if values[i] == nil or math.abs(values[i] - tonumber(value)) > tolerance then
            return false
        end
    end
    return i == #values
end

local threads = {}

function setup(thread)
    thread:set("thread_index", #threads)
    threads[#threads + 1] = thread
end

function init(args)
    name = args[1]
    requests = lines(args[2])
    expected = lines(args[3])
    tolerance = tonumber(args[4]) or 0
    assert(#requests > 0 and #requests == #expected, "REQUESTS and EXPECTED must have the same, non-zero number of lines")
    -- Threads start spread over the requests, so that different requests run at the same time.
    position = (thread_index * 7) % #requests
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    position = position % #requests + 1
    current = position
    return wrk.format(nil, nil, nil, requests[current])
end

function response(status, headers, body)
    -- Statuses other than 2xx are counted by wrk itself as errors; only answers are checked here.
    if status ~= 200 then
        return
    end
    checked = checked + 1
    if not same(body, expected[current]) then
        wrong = wrong + 1
        if shown < 1 then
            shown = shown + 1
            io.stderr:write(string.format("wrong answer to line %d of the requests:\n  got      %s\n  expected %s\n",
                current, body:sub(1, 300), expected[current]:sub(1, 300)))
        end
    end
end

function done(summary, latency, _)
    local total_checked, total_wrong = 0, 0
    for _, thread in ipairs(threads) do
        total_checked = total_checked + thread:get("checked")
        total_wrong = total_wrong + thread:get("wrong")
    end
    local errors = summary.errors
    local error_count = errors.connect + errors.read + errors.write + errors.status + errors.timeout
    io.write(string.format("RESULT %s %.1f %.3f %.3f %d %d %d\n",
        threads[1]:get("name"), summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        total_checked, total_wrong, error_count))
end
