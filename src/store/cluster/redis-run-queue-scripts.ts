/**
 * The run queue's Lua scripts: every change to a run, its lane and its indexes happens in one
 * script, so it is atomic across all engine processes. Times are the callers' (`now` is passed in,
 * as the port says); Redis's clock is never read.
 *
 * Layout under the base B (KEYS[1], one hash tag so everything shares a cluster slot):
 *   B..'seq'                 counter for positions (enqueue order; requeue takes a new one)
 *   B..'run:'..id            hash: the run and its record fields
 *   B..'lane:'..lane         zset of the lane's active (queued/running) runs by position; the
 *                            lowest is the head, the only one that may be claimed
 *   B..'ready:'..rank        zset of claimable heads per priority rank, score runAt, member
 *                            `%015d position:id` so that ties go in position order
 *   B..'leased'              zset of running runs by leaseUntil (expired ones become claimable)
 *   B..'queued'              zset of every queued run by runAt (stats: the oldest due)
 *   B..'finished'            zset of succeeded/skipped runs by updatedAt (purge)
 *   B..'parked'              zset of parked runs by runAt (claim wakes the due ones)
 *   B..'idx:*'               zsets by position: all, state:<s>, rule:<id>, event:<id>, lane:<lane>
 */
import { redisScript } from './redis-script.ts';

/** Record fields in the order every script that returns a run returns them. */
export const RECORD_FIELDS = [
  'run',
  'state',
  'nextAction',
  'attempt',
  'firstAttemptAt',
  'runAt',
  'results',
  'lastError',
  'updatedAt',
  'leaseOwner',
  'leaseUntil',
  'pos',
  'progress',
  'wake',
  'claims',
] as const;

const PRELUDE = `
local B = KEYS[1]
local FIELDS = {${RECORD_FIELDS.map((f) => `'${f}'`).join(', ')}}
local function rk(id) return B .. 'run:' .. id end
local function fmt(n) return string.format('%.17g', n) end
local function member(pos, id) return string.format('%015d', tonumber(pos)) .. ':' .. id end
local function record(id) return redis.call('HMGET', rk(id), unpack(FIELDS)) end

-- A claim given back without the run being at fault (rescheduled, released): one less.
local function takeBackClaim(id)
  if tonumber(redis.call('HGET', rk(id), 'claims') or '0') > 0 then redis.call('HINCRBY', rk(id), 'claims', -1) end
end

local function setState(id, pos, from, to)
  if from then redis.call('ZREM', B .. 'idx:state:' .. from, id) end
  redis.call('ZADD', B .. 'idx:state:' .. to, pos, id)
  redis.call('HSET', rk(id), 'state', to)
end

local function makeClaimable(id)
  local f = redis.call('HMGET', rk(id), 'rank', 'runAt', 'pos')
  redis.call('ZADD', B .. 'ready:' .. f[1], f[2], member(f[3], id))
end

local function notClaimable(id)
  local f = redis.call('HMGET', rk(id), 'rank', 'pos')
  redis.call('ZREM', B .. 'ready:' .. f[1], member(f[2], id))
end

-- The lease-guarded operations: nil when owner holds an unexpired lease, else the refusal.
local function refusal(id, owner, now)
  local f = redis.call('HMGET', rk(id), 'state', 'leaseOwner', 'leaseUntil')
  if not f[1] then return {'NOT_FOUND'} end
  if f[1] ~= 'running' or f[2] ~= owner or tonumber(f[3]) <= now then
    return {'LEASE_LOST', f[1], f[2] or '', f[3] or ''}
  end
  return nil
end

local indexKeys

-- A run (parked) back to queued at the end of its lane with a new position, due at runAt.
local function backToLane(id, runAt, now, wake)
  local pos = redis.call('INCR', B .. 'seq')
  local from = redis.call('HGET', rk(id), 'state')
  redis.call('ZREM', B .. 'parked', id)
  setState(id, pos, from, 'queued')
  redis.call('HSET', rk(id), 'pos', pos, 'runAt', runAt, 'wake', wake, 'updatedAt', now)
  for _, key in ipairs(indexKeys(id)) do redis.call('ZADD', key, pos, id) end
  redis.call('ZADD', B .. 'queued', runAt, id)
  local laneKey = B .. 'lane:' .. redis.call('HGET', rk(id), 'lane')
  redis.call('ZADD', laneKey, pos, id)
  if redis.call('ZCARD', laneKey) == 1 then makeClaimable(id) end
end

indexKeys = function(id)
  local f = redis.call('HMGET', rk(id), 'ruleId', 'eventId', 'lane', 'state')
  return {B .. 'idx:all', B .. 'idx:rule:' .. f[1], B .. 'idx:event:' .. f[2], B .. 'idx:lane:' .. f[3],
    B .. 'idx:state:' .. f[4]}
end
`;

const script = (body: string) => redisScript(PRELUDE + body);

/** ARGV: now, then (id, runJson, lane, rank, ruleId, eventId) per run. Replies the ids added. */
export const ENQUEUE = script(`
local now = ARGV[1]
local added = {}
for i = 2, #ARGV, 6 do
  local id, json, lane, rank, ruleId, eventId = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  if redis.call('EXISTS', rk(id)) == 0 then
    local pos = redis.call('INCR', B .. 'seq')
    redis.call('HSET', rk(id), 'run', json, 'pos', pos, 'lane', lane, 'rank', rank, 'ruleId', ruleId,
      'eventId', eventId, 'runAt', now, 'nextAction', 0, 'attempt', 0, 'results', '[]', 'updatedAt', now)
    setState(id, pos, nil, 'queued')
    for _, key in ipairs(indexKeys(id)) do redis.call('ZADD', key, pos, id) end
    redis.call('ZADD', B .. 'queued', now, id)
    local laneKey = B .. 'lane:' .. lane
    redis.call('ZADD', laneKey, pos, id)
    if redis.call('ZCARD', laneKey) == 1 then makeClaimable(id) end
    added[#added + 1] = id
  end
end
return added
`);

/** ARGV: owner, limit, leaseMs, now, wake batch. Replies one RECORD_FIELDS array per claimed run. */
export const CLAIM = script(`
local owner, limit, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
local leaseUntil = fmt(now + tonumber(ARGV[3]))
-- parked runs whose time has come: back to the end of their lanes, oldest due first
local wake = '{"reason":"due","at":' .. ARGV[4] .. '}'
for _, id in ipairs(redis.call('ZRANGEBYSCORE', B .. 'parked', '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))) do
  backToLane(id, redis.call('HGET', rk(id), 'runAt'), ARGV[4], wake)
end
-- a crashed worker's runs: back among the candidates, in their queue order
for _, id in ipairs(redis.call('ZRANGEBYSCORE', B .. 'leased', '-inf', now)) do
  redis.call('ZREM', B .. 'leased', id)
  makeClaimable(id)
end
local out = {}
for rank = 0, 2 do
  local need = limit - #out
  if need <= 0 then break end
  local readyKey = B .. 'ready:' .. rank
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', readyKey, '-inf', now, 'LIMIT', 0, need)) do
    local id = string.sub(m, 17)
    redis.call('ZREM', readyKey, m)
    local f = redis.call('HMGET', rk(id), 'state', 'pos')
    if f[1] == 'queued' then
      redis.call('ZREM', B .. 'queued', id)
      setState(id, f[2], 'queued', 'running')
    end
    redis.call('HSET', rk(id), 'leaseOwner', owner, 'leaseUntil', leaseUntil, 'updatedAt', ARGV[4])
    redis.call('HINCRBY', rk(id), 'claims', 1)
    redis.call('ZADD', B .. 'leased', leaseUntil, id)
    out[#out + 1] = record(id)
  end
end
return out
`);

/** ARGV: id, owner, leaseMs, now. Replies 1 when extended. */
export const EXTEND_LEASE = script(`
local id, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[4])
if refusal(id, owner, now) then return 0 end
local leaseUntil = fmt(now + tonumber(ARGV[3]))
redis.call('HSET', rk(id), 'leaseUntil', leaseUntil)
redis.call('ZADD', B .. 'leased', leaseUntil, id)
return 1
`);

/** ARGV: id, owner, now, result index, result JSON. */
export const CHECKPOINT = script(`
local id, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local refused = refusal(id, owner, now)
if refused then return refused end
local f = redis.call('HMGET', rk(id), 'nextAction', 'results')
if tonumber(ARGV[4]) ~= tonumber(f[1]) then return {'BAD_INDEX', f[1]} end
local results = f[2]
if results == '[]' then results = '[' .. ARGV[5] .. ']' else results = string.sub(results, 1, -2) .. ',' .. ARGV[5] .. ']' end
redis.call('HSET', rk(id), 'results', results, 'nextAction', tonumber(f[1]) + 1, 'attempt', 0, 'updatedAt', ARGV[3])
redis.call('HDEL', rk(id), 'firstAttemptAt', 'progress', 'wake', 'claims')
return {'OK'}
`);

/** ARGV: id, owner, now, progress JSON. */
export const SAVE_PROGRESS = script(`
local id, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local refused = refusal(id, owner, now)
if refused then return refused end
redis.call('HSET', rk(id), 'progress', ARGV[4], 'attempt', 0, 'updatedAt', ARGV[3])
redis.call('HDEL', rk(id), 'firstAttemptAt', 'wake', 'claims')
return {'OK'}
`);

/** ARGV: id, owner, now, until, progress JSON. The run leaves its lane until it wakes. */
export const PARK = script(`
local id, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local refused = refusal(id, owner, now)
if refused then return refused end
local f = redis.call('HMGET', rk(id), 'pos', 'lane')
notClaimable(id)
setState(id, f[1], 'running', 'parked')
redis.call('HSET', rk(id), 'runAt', ARGV[4], 'progress', ARGV[5], 'updatedAt', ARGV[3])
redis.call('HDEL', rk(id), 'leaseOwner', 'leaseUntil', 'wake', 'claims')
redis.call('ZREM', B .. 'leased', id)
redis.call('ZADD', B .. 'parked', ARGV[4], id)
local laneKey = B .. 'lane:' .. f[2]
redis.call('ZREM', laneKey, id)
local head = redis.call('ZRANGE', laneKey, 0, 0)[1]
if head then makeClaimable(head) end
return {'OK'}
`);

/** ARGV: id, now, wake JSON. Replies 1 when the run was parked and is now queued. */
export const RESUME = script(`
if redis.call('HGET', rk(ARGV[1]), 'state') ~= 'parked' then return 0 end
backToLane(ARGV[1], ARGV[2], ARGV[2], ARGV[3])
return 1
`);

/** ARGV: id, owner, runAt, now, retry ('1' or ''), attempt, firstAttemptAt, error JSON (or ''). */
export const RESCHEDULE = script(`
local id, owner, runAt, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local refused = refusal(id, owner, now)
if refused then return refused end
local pos = redis.call('HGET', rk(id), 'pos')
setState(id, pos, 'running', 'queued')
redis.call('HSET', rk(id), 'runAt', runAt, 'updatedAt', ARGV[4])
redis.call('HDEL', rk(id), 'leaseOwner', 'leaseUntil')
takeBackClaim(id)
if ARGV[5] == '1' then
  redis.call('HSET', rk(id), 'attempt', ARGV[6], 'firstAttemptAt', ARGV[7])
  if ARGV[8] ~= '' then redis.call('HSET', rk(id), 'lastError', ARGV[8]) end
end
redis.call('ZREM', B .. 'leased', id)
redis.call('ZADD', B .. 'queued', runAt, id)
makeClaimable(id)
return {'OK'}
`);

/** ARGV: id, owner, now, final state, error JSON (or ''). The run leaves its lane. */
export const FINISH = script(`
local id, owner, now, state = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local refused = refusal(id, owner, now)
if refused then return refused end
local f = redis.call('HMGET', rk(id), 'pos', 'lane')
notClaimable(id)
setState(id, f[1], 'running', state)
redis.call('HSET', rk(id), 'updatedAt', ARGV[3])
redis.call('HDEL', rk(id), 'leaseOwner', 'leaseUntil', 'wake', 'claims')
if ARGV[5] ~= '' then redis.call('HSET', rk(id), 'lastError', ARGV[5]) end
redis.call('ZREM', B .. 'leased', id)
if state ~= 'dead' then redis.call('ZADD', B .. 'finished', ARGV[3], id) end
local laneKey = B .. 'lane:' .. f[2]
redis.call('ZREM', laneKey, id)
local head = redis.call('ZRANGE', laneKey, 0, 0)[1]
if head then makeClaimable(head) end
return {'OK'}
`);

/** ARGV: id, owner, now. Gives a held lease back, expired or not; no-op otherwise. */
export const RELEASE = script(`
local id, owner = ARGV[1], ARGV[2]
local f = redis.call('HMGET', rk(id), 'state', 'leaseOwner', 'pos', 'runAt')
if f[1] ~= 'running' or f[2] ~= owner then return 0 end
setState(id, f[3], 'running', 'queued')
redis.call('HSET', rk(id), 'updatedAt', ARGV[3])
redis.call('HDEL', rk(id), 'leaseOwner', 'leaseUntil')
takeBackClaim(id)
redis.call('ZREM', B .. 'leased', id)
redis.call('ZADD', B .. 'queued', f[4], id)
makeClaimable(id)
return 1
`);

/** ARGV: id, now, run JSON ('' = keep its plan). A dead run goes back to the end of its lane, attempts reset. */
export const REQUEUE = script(`
local id, now = ARGV[1], ARGV[2]
local f = redis.call('HMGET', rk(id), 'state', 'lane')
if f[1] ~= 'dead' then return 0 end
local pos = redis.call('INCR', B .. 'seq')
setState(id, pos, 'dead', 'queued')
redis.call('HSET', rk(id), 'pos', pos, 'runAt', now, 'attempt', 0, 'updatedAt', now)
redis.call('HDEL', rk(id), 'firstAttemptAt', 'claims')
if ARGV[3] ~= nil and ARGV[3] ~= '' then redis.call('HSET', rk(id), 'run', ARGV[3]) end
for _, key in ipairs(indexKeys(id)) do redis.call('ZADD', key, pos, id) end
redis.call('ZADD', B .. 'queued', now, id)
local laneKey = B .. 'lane:' .. f[2]
redis.call('ZADD', laneKey, pos, id)
if redis.call('ZCARD', laneKey) == 1 then makeClaimable(id) end
return 1
`);

const REMOVE_RUN = `
local function removeRun(id)
  for _, key in ipairs(indexKeys(id)) do redis.call('ZREM', key, id) end
  redis.call('ZREM', B .. 'finished', id)
  redis.call('DEL', rk(id))
end
`;

/** ARGV: id. Deletes a dead run. */
export const DROP = script(`${REMOVE_RUN}
if redis.call('HGET', rk(ARGV[1]), 'state') ~= 'dead' then return 0 end
removeRun(ARGV[1])
return 1
`);

/** ARGV: olderThan, batch. Deletes up to `batch` finished runs updated before olderThan. */
export const PURGE = script(`${REMOVE_RUN}
local ids = redis.call('ZRANGEBYSCORE', B .. 'finished', '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do removeRun(id) end
return #ids
`);

/**
 * ARGV: limit, states (comma-separated, '' = any), ruleId, eventId, lane ('' = any). Walks the
 * smallest index that can hold the answer in position order and filters the rest.
 * Replies RECORD_FIELDS arrays.
 */
export const LIST = script(`
local limit = tonumber(ARGV[1])
local want = {state = nil, ruleId = ARGV[3], eventId = ARGV[4], lane = ARGV[5]}
local states = {}
for s in string.gmatch(ARGV[2], '[^,]+') do states[s] = true end
local anyState = ARGV[2] == ''
local sources = {}
if not anyState then
  for s in pairs(states) do sources[#sources + 1] = B .. 'idx:state:' .. s end
else
  sources[1] = B .. 'idx:all'
end
local narrow = nil
if want.eventId ~= '' then narrow = B .. 'idx:event:' .. want.eventId
elseif want.lane ~= '' then narrow = B .. 'idx:lane:' .. want.lane
elseif want.ruleId ~= '' then narrow = B .. 'idx:rule:' .. want.ruleId end
if narrow then
  local total = 0
  for _, key in ipairs(sources) do total = total + redis.call('ZCARD', key) end
  if redis.call('ZCARD', narrow) < total then sources = {narrow} end
end
local found = {}
for _, key in ipairs(sources) do
  local taken, offset = 0, 0
  while taken < limit do
    local page = redis.call('ZRANGE', key, offset, offset + 199, 'WITHSCORES')
    if #page == 0 then break end
    offset = offset + 200
    for i = 1, #page, 2 do
      local id = page[i]
      local f = redis.call('HMGET', rk(id), 'state', 'ruleId', 'eventId', 'lane')
      if f[1] and (anyState or states[f[1]]) and (want.ruleId == '' or f[2] == want.ruleId)
        and (want.eventId == '' or f[3] == want.eventId) and (want.lane == '' or f[4] == want.lane) then
        found[#found + 1] = {tonumber(page[i + 1]), id}
        taken = taken + 1
        if taken >= limit then break end
      end
    end
  end
end
table.sort(found, function(a, b) return a[1] < b[1] end)
local out = {}
for i = 1, math.min(limit, #found) do out[i] = record(found[i][2]) end
return out
`);

/** ARGV: now. Replies {active, oldest due runAt or '', dead, parked}. */
export const STATS = script(`
local active = redis.call('ZCARD', B .. 'idx:state:queued') + redis.call('ZCARD', B .. 'idx:state:running')
local oldest = redis.call('ZRANGEBYSCORE', B .. 'queued', '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 1)
return {active, oldest[2] or '', redis.call('ZCARD', B .. 'idx:state:dead'), redis.call('ZCARD', B .. 'parked')}
`);
