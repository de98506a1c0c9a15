/// The two Lua scripts that make a request's whole conversation with Redis
/// two round trips: one takes the call's lease and loads its record, the
/// other saves (or deletes) the record and releases or renews the lease,
/// only if the lease is still this request's.
enum RedisScripts {
    /// KEYS: lease, record. ARGV: token, lease ms.
    /// Answers {1, record or ""} when the lease is taken, {0} when another holds it.
    static let begin = """
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
      local r = redis.call('GET', KEYS[2])
      if r then return {1, r} end
      return {1, ''}
    end
    return {0}
    """

    /// KEYS: lease, record. ARGV: token, mode (s save, d delete, k keep), record,
    /// record ttl ms, lease ms to renew it for ("0": release).
    /// Answers 1, or 0 when the lease is no longer this token's (nothing written).
    static let finish = """
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    if ARGV[2] == 's' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
    elseif ARGV[2] == 'd' then redis.call('DEL', KEYS[2]) end
    if ARGV[5] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
    return 1
    """
}
