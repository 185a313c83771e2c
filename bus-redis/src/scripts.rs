//! The Lua scripts behind idempotent publishing and the UUID index.
//!
//! Publishing must check "does the topic already hold this UUID?" and append in one atomic step, or two
//! retries of one publish racing each other could both append. A script runs atomically on the server, so the
//! check, the XADD and the index update happen as one command (EVALSHA; the `redis` crate's [`Script`] reloads
//! the script after `NOSCRIPT`, e.g. after a server restart).
//!
//! # The index
//! Two keys sit next to each stream key `K`, both with hash tag `{K}` so a cluster puts them in `K`'s slot:
//! - `{K}:ids`, a hash `uuid -> entry ids` (comma-separated, oldest first; more than one only when the UUID was
//!   appended again through `append`): the O(1) lookup. Keeping every holder means the oldest surviving one is
//!   found after a trim removes the first;
//! - `{K}:ids:order`, a sorted set of `"<ms:20 digits>-<seq:20 digits> <uuid>"` members (all score 0, ordered by
//!   their text, which is id order): it lets a trim find the index entries of the entries it removed.
//!
//! An index entry is trusted only after the entry it names is read back (`XRANGE id id`) and still carries the
//! UUID; a stale entry (deleted or trimmed by anyone) is removed when met. After every trim done through this
//! backend (XADD with a trim option, or XTRIM), the index entries below the stream's new first entry are removed,
//! at most [`RedisOptions::index_cleanup_batch`](crate::RedisOptions) per call (the rest go on the next trim),
//! so the index stays bounded with the stream. Entries removed by XDEL keep their (stale, verified-on-use) index
//! entry until a trim passes them.
//!
//! Errors of the commands inside are caught with `redis.pcall` and returned as they are, so the caller sees
//! Redis's exact message (`redis.call` would append the script's name to it).

use redis::Script;

/// Shared Lua helpers, prepended to every script.
const PRELUDE: &str = r"
local key, idx, ord = KEYS[1], KEYS[2], KEYS[3]
local function is_err(r) return type(r) == 'table' and r.err ~= nil end
local function pad(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return string.rep('0', 20 - #ms) .. ms .. '-' .. string.rep('0', 20 - #seq) .. seq
end
-- true when entry `id` exists and has exactly one field `id`, equal to `uuid`
local function holds(id, uuid)
  local found = redis.pcall('XRANGE', key, id, id)
  if is_err(found) then return found end
  if #found == 0 then return false end
  local fields, n, ok = found[1][2], 0, false
  for i = 1, #fields, 2 do
    if fields[i] == 'id' then
      n = n + 1
      ok = fields[i + 1] == uuid
    end
  end
  return n == 1 and ok
end
local function ids_of(uuid)
  local ids = {}
  local known = redis.call('HGET', idx, uuid)
  if known then
    for id in string.gmatch(known, '[^,]+') do ids[#ids + 1] = id end
  end
  return ids
end
local function store(uuid, ids)
  if #ids == 0 then redis.call('HDEL', idx, uuid) else redis.call('HSET', idx, uuid, table.concat(ids, ',')) end
end
-- the oldest verified entry holding `uuid`, dropping stale holders met before it
local function indexed(uuid)
  local ids, kept, found = ids_of(uuid), {}, false
  for _, id in ipairs(ids) do
    if found then
      kept[#kept + 1] = id
    else
      local ok = holds(id, uuid)
      if is_err(ok) then return ok end
      if ok then
        found = id
        kept[#kept + 1] = id
      else
        redis.call('ZREM', ord, pad(id) .. ' ' .. uuid)
      end
    end
  end
  if #kept ~= #ids then store(uuid, kept) end
  return found
end
local function add_to_index(uuid, id)
  local ids = ids_of(uuid)
  for _, known in ipairs(ids) do
    if known == id then return end
  end
  ids[#ids + 1] = id
  table.sort(ids, function(a, b) return pad(a) < pad(b) end)
  store(uuid, ids)
  redis.call('ZADD', ord, 0, pad(id) .. ' ' .. uuid)
end
-- removes up to `cap` index entries below the stream's first entry
local function cleanup(cap)
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  local bound = '+'
  if #first > 0 then bound = '(' .. pad(first[1][1]) end
  local stale = redis.call('ZRANGEBYLEX', ord, '-', bound, 'LIMIT', 0, cap)
  for _, member in ipairs(stale) do
    local padded, uuid = string.match(member, '^(%S+) (%S+)$')
    local kept = {}
    for _, id in ipairs(ids_of(uuid)) do
      if pad(id) ~= padded then kept[#kept + 1] = id end
    end
    store(uuid, kept)
  end
  if #stale > 0 then redis.call('ZREM', ord, unpack(stale)) end
  return #stale
end
";

/// `KEYS`: stream, index hash, index order. `ARGV`: mode (`publish` or `append`), uuid, trimmed (`1`/`0`),
/// cleanup cap, then the XADD arguments after the key.
///
/// Returns `{entry_id, duplicate}` (1 when the UUID was already held and nothing was appended, publish mode
/// only), nil on NOMKSTREAM with a missing stream, or the error of XADD/XRANGE as Redis sent it. In append mode
/// the entry is always appended, and indexed as a further holder of the UUID.
const APPEND_BODY: &str = r"
local mode, uuid, trimmed, cap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local known = indexed(uuid)
if is_err(known) then return known end
if known and mode == 'publish' then return {known, 1} end
local args = {}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.pcall('XADD', key, unpack(args))
if is_err(id) then return id end
if not id then return false end
add_to_index(uuid, id)
if trimmed == '1' then cleanup(cap) end
return {id, 0}
";

/// `KEYS`: stream, index hash, index order. `ARGV`: uuid. Returns the verified entry id or nil.
const LOOKUP_BODY: &str = r"
local known = indexed(ARGV[1])
if is_err(known) then return known end
return known
";

/// `KEYS`: stream, index hash, index order. `ARGV`: uuid, entry id found by a scan. Indexes it unless the index
/// holds a verified entry already (the older one, since scans go oldest first). Returns the indexed id.
const REMEMBER_BODY: &str = r"
local known = indexed(ARGV[1])
if is_err(known) then return known end
if known then return known end
local ok = holds(ARGV[2], ARGV[1])
if is_err(ok) then return ok end
if ok then add_to_index(ARGV[1], ARGV[2]) return ARGV[2] end
return false
";

/// `KEYS`: stream, index hash, index order. `ARGV`: cleanup cap, then the XTRIM arguments after the key.
/// Returns XTRIM's count (or its error).
const TRIM_BODY: &str = r"
local cap = tonumber(ARGV[1])
local args = {}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
local removed = redis.pcall('XTRIM', key, unpack(args))
if is_err(removed) then return removed end
if removed > 0 then cleanup(cap) end
return removed
";

/// `KEYS`: stream, index hash, index order. `ARGV`: group, consumer, min idle ms. Deletes the consumer only if
/// it owns no pending entries and has been idle at least that long, in one atomic step. Returns
/// `{outcome, value}` with outcome `deleted`, `pending` (value: its pending count), `idle` (value: its idle ms) or
/// `missing`; or XINFO CONSUMERS's error for a missing key or group.
const DELETE_IDLE_CONSUMER_BODY: &str = r"
local group, consumer, min_idle = ARGV[1], ARGV[2], tonumber(ARGV[3])
local consumers = redis.pcall('XINFO', 'CONSUMERS', key, group)
if is_err(consumers) then return consumers end
for _, info in ipairs(consumers) do
  local fields = {}
  for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
  if fields['name'] == consumer then
    if fields['pending'] > 0 then return {'pending', fields['pending']} end
    if fields['idle'] < min_idle then return {'idle', fields['idle']} end
    redis.call('XGROUP', 'DELCONSUMER', key, group, consumer)
    return {'deleted', 0}
  end
end
return {'missing', 0}
";

/// The source of the publish script, exactly as [`Scripts::append`] runs it (also handed out by
/// [`RedisBackend::publish_script`](crate::RedisBackend::publish_script), which documents its calling
/// convention for callers outside this crate).
pub(crate) fn append_source() -> String {
    format!("{PRELUDE}{APPEND_BODY}")
}

/// The loaded scripts (hashed once; sent with EVALSHA).
#[derive(Debug)]
pub(crate) struct Scripts {
    pub(crate) append: Script,
    pub(crate) lookup: Script,
    pub(crate) remember: Script,
    pub(crate) trim: Script,
    pub(crate) delete_idle_consumer: Script,
}

impl Scripts {
    pub(crate) fn new() -> Scripts {
        let build = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Scripts {
            append: Script::new(&append_source()),
            lookup: build(LOOKUP_BODY),
            remember: build(REMEMBER_BODY),
            trim: build(TRIM_BODY),
            delete_idle_consumer: build(DELETE_IDLE_CONSUMER_BODY),
        }
    }
}
