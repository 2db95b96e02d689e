-- sign.lua: the wrk script of make bench. Every request is a Lever
-- "candidateStageChange" delivery with a fresh random token, signed as
-- API-NOTES.md says: hex(HMAC-SHA256(key = the webhook's signatureToken,
-- message = token .. triggeredAt)). wrk's LuaJIT has no HMAC, so SHA-256
-- is written here with LuaJIT's `bit` library (checked against RFC 4231
-- at start).
--
--   wrk -s bench/sign.lua URL -- SIGNATURE_TOKEN [valid|bad] [SEED]
--
-- bad: the signature's last hex digit is wrong (the receiver must answer
-- 401 and write nothing). Tokens are 40 random characters, the thread and
-- a per-thread counter: distinct within a run whatever the generator does,
-- and spread over the key space like Lever's random tokens.
-- The opportunity is random too and moves to stage-onsite (no rule of
-- make bench's accounts matches it). done() prints one WRKRESULT line.
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local ror, rshift, lshift, tobit, tohex = bit.ror, bit.rshift, bit.lshift, bit.tobit, bit.tohex
local byte, char, fmt, rep, sub = string.byte, string.char, string.format, string.rep, string.sub
local random, concat = math.random, table.concat

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
for i = 1, 64 do K[i] = tobit(K[i]) end
local IV = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
for i = 1, 8 do IV[i] = tobit(IV[i]) end

local W = {}
-- One 64-byte block of s at 1-based offset off into state h (8 words).
local function compress(h, s, off)
  for i = 0, 15 do
    local a, b, c, d = byte(s, off + i * 4, off + i * 4 + 3)
    W[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
  end
  for i = 16, 63 do
    local w15, w2 = W[i - 15], W[i - 2]
    local s0 = bxor(ror(w15, 7), ror(w15, 18), rshift(w15, 3))
    local s1 = bxor(ror(w2, 17), ror(w2, 19), rshift(w2, 10))
    W[i] = tobit(W[i - 16] + s0 + W[i - 7] + s1)
  end
  local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
  for i = 0, 63 do
    local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
    local ch = bxor(band(e, f), band(bnot(e), g))
    local t1 = hh + S1 + ch + K[i + 1] + W[i]
    local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
    local maj = bxor(band(a, b), band(a, c), band(b, c))
    hh, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + S0 + maj)
  end
  h[1], h[2], h[3], h[4] = tobit(h[1] + a), tobit(h[2] + b), tobit(h[3] + c), tobit(h[4] + d)
  h[5], h[6], h[7], h[8] = tobit(h[5] + e), tobit(h[6] + f), tobit(h[7] + g), tobit(h[8] + hh)
end

local function be32(x)
  return char(band(rshift(x, 24), 255), band(rshift(x, 16), 255), band(rshift(x, 8), 255), band(x, 255))
end

-- SHA-256 of (the `before` bytes already in state h0) .. msg; raw digest.
local function finish(h0, before, msg)
  local h = { h0[1], h0[2], h0[3], h0[4], h0[5], h0[6], h0[7], h0[8] }
  local bits = (before + #msg) * 8
  local pad = 64 - (#msg + 9) % 64
  if pad == 64 then pad = 0 end
  local s = msg .. "\128" .. rep("\0", pad) .. be32(math.floor(bits / 4294967296)) .. be32(bits % 4294967296)
  for off = 1, #s, 64 do compress(h, s, off) end
  return be32(h[1]) .. be32(h[2]) .. be32(h[3]) .. be32(h[4]) .. be32(h[5]) .. be32(h[6]) .. be32(h[7]) .. be32(h[8])
end

local function tohexs(raw)
  return (raw:gsub(".", function(c) return fmt("%02x", byte(c)) end))
end

-- HMAC-SHA256 with the key's inner and outer states computed once.
local function hmac_key(key)
  if #key > 64 then key = finish(IV, 0, key) end
  key = key .. rep("\0", 64 - #key)
  local ipad, opad = {}, {}
  for i = 1, 64 do
    local k = byte(key, i)
    ipad[i], opad[i] = char(bxor(k, 0x36)), char(bxor(k, 0x5c))
  end
  local hi = { unpack(IV) }
  local ho = { unpack(IV) }
  compress(hi, concat(ipad), 1)
  compress(ho, concat(opad), 1)
  return function(msg)
    local inner = finish(hi, 64, msg)
    local r = finish(ho, 64, inner)
    local out = {}
    for i = 1, 32, 4 do
      local a, b, c, d = byte(r, i, i + 3)
      out[#out + 1] = tohex(bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d), 8)
    end
    return concat(out)
  end
end

local function selftest()
  local cases = { -- RFC 4231, test cases 2 and 6 (a key longer than the block)
    { "Jefe", "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { rep("\170", 131), "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
  }
  for _, c in ipairs(cases) do
    local got = hmac_key(c[1])(c[2])
    if got ~= c[3] then
      error("sign.lua: HMAC-SHA256 self-test failed: " .. got .. " ~= " .. c[3])
    end
  end
end

local ALPHA = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local A = {}
for i = 1, 62 do A[i] = sub(ALPHA, i, i) end

local threads, nthreads = {}, 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

local sign, bad, counter, tidc, headers
local buf = {}

local function rand_chars(n)
  for i = 1, n do buf[i] = A[random(1, 62)] end
  for i = n + 1, #buf do buf[i] = nil end
  return concat(buf)
end

local function b62(v, width)
  local s = ""
  for _ = 1, width do
    local d = v % 62
    s = A[d + 1] .. s
    v = (v - d) / 62
  end
  return s
end

local function uuid()
  return fmt("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x", random(0, 65535), random(0, 65535),
    random(0, 65535), random(0, 4095), random(32768, 49151), random(0, 65535),
    random(0, 65535), random(0, 65535))
end

function init(args)
  selftest()
  local key = args[1]
  if not key or key == "" then error("sign.lua: usage: -- SIGNATURE_TOKEN [valid|bad] [SEED]") end
  sign = hmac_key(key)
  bad = args[2] == "bad"
  local t = tid or 1
  math.randomseed((tonumber(args[3]) or os.time()) * 7919 + t * 104729 + os.clock() * 1e6)
  counter = 0
  tidc = A[(t - 1) % 62 + 1]
  headers = { ["Content-Type"] = "application/json", ["User-Agent"] = "Lever-Webhooks" }
end

function request()
  counter = counter + 1
  local token = rand_chars(40) .. tidc .. b62(counter, 7)
  local trig = fmt("%.0f", os.time() * 1000 + random(0, 999))
  local sig = sign(token .. trig)
  if bad then
    sig = sub(sig, 1, 63) .. (sub(sig, 64) == "0" and "1" or "0")
  end
  local opp = uuid()
  local body = '{"id":"' .. uuid() .. '","event":"candidateStageChange","triggeredAt":' .. trig ..
    ',"token":"' .. token .. '","signature":"' .. sig .. '","data":{"opportunityId":"' .. opp ..
    '","candidateId":"' .. opp .. '","contactId":"' .. uuid() ..
    '","fromStageId":"stage-applied","toStageId":"stage-onsite"}}'
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(fmt("WRKRESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, secs, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect, e.read, e.write,
    e.timeout))
end
