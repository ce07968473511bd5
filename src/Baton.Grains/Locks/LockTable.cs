using Baton.Contracts.Locks;

namespace Baton.Grains.Locks;

/// <summary>
/// The decisions of one lock over its <see cref="LockState"/>: who is granted, who waits in which order,
/// when leases expire and waits time out, and which fencing token comes next. No I/O and no clock: every
/// operation takes <c>now</c>, changes the state, and leaves the events it caused for <see cref="TakeEvents"/>.
/// </summary>
/// <remarks>
/// The grain wraps it: read state, call with <c>now</c> from its TimeProvider, persist, publish the events,
/// then reply. Every operation first <see cref="Advance"/>s to <c>now</c> (expiry before anything else),
/// and input is validated before that, so bad input changes nothing. A grain that must not lose the
/// changes of an <see cref="Advance"/> when the operation itself is then refused (not the holder, unknown
/// lease) calls <see cref="Advance"/> and persists first.
/// Rules: many Shared holders or one Exclusive. Waiters are granted in order of effective priority
/// (priority aged by waiting, see <see cref="LockTableOptions.AgingStep"/>), then arrival; granting stops
/// at the first waiter that does not fit, so a Shared request behind a queued Exclusive waits.
/// </remarks>
public sealed class LockTable
{
    private readonly LockState _state;
    private readonly LockTableOptions _options;
    private readonly List<LockEvent> _events = [];

    public LockTable(string key, LockState? state = null, LockTableOptions? options = null)
    {
        LockKey.Validate(key);
        Key = key;
        _state = state ?? new LockState();
        _options = options ?? LockTableOptions.Default;
        if (_options.AgingStep <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "AgingStep must be positive.");
        }
    }

    public string Key { get; }

    /// <summary>The state to persist.</summary>
    public LockState State => _state;

    public IReadOnlyList<LockHolder> Holders => _state.Holders;

    public long LastFencingToken => _state.LastFencingToken;

    /// <summary>The events caused since the last call, oldest first; the table forgets them.</summary>
    public IReadOnlyList<LockEvent> TakeEvents()
    {
        var events = _events.ToArray();
        _events.Clear();
        return events;
    }

    /// <summary>
    /// Grants at once when the request fits ahead of everybody it must not overtake; otherwise queues it
    /// (or answers <see cref="LockOutcome.Unavailable"/> when MaxWait is zero). A known RequestId gets its
    /// current or remembered outcome and never a second lease.
    /// </summary>
    public AcquireOutcome Acquire(AcquireRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        RejectReusedRequestId(request);

        Advance(now);
        if (StatusOf(request.RequestId, now) is { } known)
        {
            return known;
        }

        var waiter = new LockWaiter
        {
            RequestId = request.RequestId,
            Owner = request.Owner,
            Mode = request.Mode,
            Priority = request.Priority,
            Ttl = request.Ttl,
            Purpose = request.Purpose,
            EnqueuedAt = now,
            Deadline = now + request.MaxWait,
        };
        _state.Waiters.Add(waiter);
        GrantWaiters(now);

        if (FindHolder(request.RequestId) is { } holder)
        {
            return AcquireOutcome.Acquired(request.RequestId, holder.Lease);
        }

        if (request.MaxWait == TimeSpan.Zero)
        {
            _state.Waiters.Remove(waiter);
            var unavailable = AcquireOutcome.Unavailable(request.RequestId, DescribeBlockers(waiter));
            Remember(waiter, unavailable, now);
            return unavailable;
        }

        var position = PositionOf(request.RequestId);
        _events.Add(new LockQueued
        {
            Key = Key,
            Owner = waiter.Owner,
            RequestId = waiter.RequestId,
            OccurredAt = now,
            Mode = waiter.Mode,
            Priority = waiter.Priority,
            Position = position,
            Deadline = waiter.Deadline,
        });
        return AcquireOutcome.Queued(request.RequestId, position);
    }

    /// <summary>Extends the lease to <c>now + ttl</c>; only its owner may.</summary>
    public HeartbeatResult Heartbeat(string leaseId, string owner, TimeSpan ttl, DateTimeOffset now)
    {
        LockLimits.CheckText("LeaseId", leaseId, LockLimits.MaxKeyLength + 64);
        LockLimits.CheckText("Owner", owner, LockLimits.MaxOwnerLength);
        LockLimits.CheckTtl(ttl);

        Advance(now);
        var index = HolderIndex(leaseId, owner);
        var holder = _state.Holders[index];
        var lease = holder.Lease with { ExpiresAt = now + ttl };
        _state.Holders[index] = holder with { Lease = lease };
        return new HeartbeatResult { LeaseId = lease.LeaseId, FencingToken = lease.FencingToken, ExpiresAt = lease.ExpiresAt };
    }

    /// <summary>
    /// Ends the owner's lease and grants whoever is next. Returns false when this owner already released
    /// it (a retried release); throws <see cref="LeaseNotFoundException"/> when it ended otherwise.
    /// </summary>
    public bool Release(string leaseId, string owner, string? reason, DateTimeOffset now)
    {
        LockLimits.CheckText("LeaseId", leaseId, LockLimits.MaxKeyLength + 64);
        LockLimits.CheckText("Owner", owner, LockLimits.MaxOwnerLength);
        CheckReason(reason, required: false);

        Advance(now);
        var ended = FindEnded(leaseId);
        if (FindHolderByLease(leaseId) is null
            && ended is { Kind: LeaseEndKind.Released }
            && string.Equals(ended.Owner, owner, StringComparison.Ordinal))
        {
            return false;
        }

        var holder = _state.Holders[HolderIndex(leaseId, owner)];
        End(holder, LeaseEndKind.Released, owner, reason, now);
        _events.Add(new LockReleased
        {
            Key = Key,
            Owner = holder.Lease.Owner,
            FencingToken = holder.Lease.FencingToken,
            RequestId = holder.RequestId,
            OccurredAt = now,
            LeaseId = leaseId,
            Reason = reason,
        });
        GrantWaiters(now);
        return true;
    }

    /// <summary>
    /// Ends anyone's lease on an admin's word, recording who and why, and grants whoever is next. Returns
    /// false when it was already force-released (a retry).
    /// </summary>
    public bool ForceRelease(string leaseId, string admin, string reason, DateTimeOffset now)
    {
        LockLimits.CheckText("LeaseId", leaseId, LockLimits.MaxKeyLength + 64);
        LockLimits.CheckText("Admin", admin, LockLimits.MaxOwnerLength);
        CheckReason(reason, required: true);

        Advance(now);
        if (FindHolderByLease(leaseId) is not { } holder)
        {
            var ended = FindEnded(leaseId);
            return ended is { Kind: LeaseEndKind.ForceReleased }
                ? false
                : throw new LeaseNotFoundException(leaseId, ended);
        }

        End(holder, LeaseEndKind.ForceReleased, admin, reason, now);
        _events.Add(new LockForceReleased
        {
            Key = Key,
            Owner = holder.Lease.Owner,
            FencingToken = holder.Lease.FencingToken,
            RequestId = holder.RequestId,
            OccurredAt = now,
            LeaseId = leaseId,
            Admin = admin,
            Reason = reason,
        });
        GrantWaiters(now);
        return true;
    }

    /// <summary>
    /// Brings the table up to <c>now</c>: replays, in time order, every lease expiry and every waiter
    /// deadline that has passed, granting waiters as leases end. Time order matters when the grain wakes
    /// late (after a crash, from the reminder): a waiter that was still waiting when the lease ran out is
    /// granted even if its own deadline has also passed since; one whose deadline came first is not.
    /// On a tie the expiry goes first. Returns true when anything changed.
    /// </summary>
    public bool Advance(DateTimeOffset now)
    {
        var changed = false;
        while (true)
        {
            var expiry = Earliest(_state.Holders.Select(h => h.Lease.ExpiresAt), now);
            var deadline = Earliest(_state.Waiters.Select(w => w.Deadline), now);
            if (expiry is null && deadline is null)
            {
                return changed;
            }

            changed = true;
            if (expiry is { } at && (deadline is null || at <= deadline))
            {
                foreach (var holder in _state.Holders.Where(h => h.Lease.ExpiresAt <= at).ToList())
                {
                    End(holder, LeaseEndKind.Expired, by: null, reason: null, now);
                    _events.Add(new LockExpired
                    {
                        Key = Key,
                        Owner = holder.Lease.Owner,
                        FencingToken = holder.Lease.FencingToken,
                        RequestId = holder.RequestId,
                        OccurredAt = now,
                        LeaseId = holder.Lease.LeaseId,
                        ExpiredAt = holder.Lease.ExpiresAt,
                    });
                }
            }
            else
            {
                foreach (var waiter in _state.Waiters.Where(w => w.Deadline <= deadline!.Value).ToList())
                {
                    _state.Waiters.Remove(waiter);
                    Remember(waiter, AcquireOutcome.TimedOut(waiter.RequestId,
                        $"not granted within {(waiter.Deadline - waiter.EnqueuedAt).TotalSeconds:0.###} s"), now);
                    _events.Add(new LockWaitTimedOut
                    {
                        Key = Key,
                        Owner = waiter.Owner,
                        RequestId = waiter.RequestId,
                        OccurredAt = now,
                        Mode = waiter.Mode,
                        EnqueuedAt = waiter.EnqueuedAt,
                    });
                }
            }

            GrantWaiters(now);
        }
    }

    /// <summary>When the grain must wake next: the earliest lease expiry or waiter deadline (never before <c>now</c>), or null when nothing is pending.</summary>
    public DateTimeOffset? NextDeadline(DateTimeOffset now)
    {
        var times = _state.Holders.Select(h => h.Lease.ExpiresAt).Concat(_state.Waiters.Select(w => w.Deadline)).ToList();
        return times.Count == 0 ? null : times.Min() < now ? now : times.Min();
    }

    /// <summary>True while a lease with this fencing token is held and not past its expiry, even before <see cref="Advance"/>.</summary>
    public bool IsCurrent(long fencingToken, DateTimeOffset now) =>
        _state.Holders.Any(h => h.Lease.FencingToken == fencingToken && h.Lease.ExpiresAt > now);

    /// <summary>The current outcome of a request: Acquired while it holds, Queued with its position, or what it ended as; null when unknown.</summary>
    public AcquireOutcome? StatusOf(string requestId, DateTimeOffset now)
    {
        if (FindHolder(requestId) is { } holder)
        {
            return AcquireOutcome.Acquired(requestId, holder.Lease);
        }

        if (_state.Waiters.Any(w => w.RequestId == requestId))
        {
            return AcquireOutcome.Queued(requestId, PositionOf(requestId));
        }

        return _state.Requests.LastOrDefault(r => r.RequestId == requestId)?.Outcome;
    }

    /// <summary>Waiters in grant order, with their aged priority as of <c>now</c>.</summary>
    public IReadOnlyList<LockQueueEntry> Queue(DateTimeOffset now) =>
        Ordered().Select((w, i) => new LockQueueEntry
        {
            Position = i + 1,
            Owner = w.Owner,
            Mode = w.Mode,
            Priority = w.Priority,
            EffectivePriority = EffectivePriority(w, now),
            EnqueuedAt = w.EnqueuedAt,
            Deadline = w.Deadline,
            RequestId = w.RequestId,
            Purpose = w.Purpose,
        }).ToList();

    public LockDescription Describe(DateTimeOffset now) => new()
    {
        Key = Key,
        Holders = _state.Holders.ToList(),
        Queue = Queue(now),
        LastFencingToken = _state.LastFencingToken,
        RecentlyEnded = _state.EndedLeases.ToList(),
    };

    /// <summary>
    /// Priority plus one per <see cref="LockTableOptions.AgingStep"/> waited. It grows at the same rate for
    /// every waiter, so it reorders nobody already queued; it only decides where later arrivals go.
    /// </summary>
    public double EffectivePriority(LockWaiter waiter, DateTimeOffset now) =>
        waiter.Priority + Math.Max(0, (now - waiter.EnqueuedAt) / _options.AgingStep);

    /// <summary>This lock's part of the wait-for graph: each waiter and the owners it is stuck behind.</summary>
    public IReadOnlyList<LockWait> Waits()
    {
        var ordered = Ordered();
        var waits = new List<LockWait>();
        for (var i = 0; i < ordered.Count; i++)
        {
            var waiter = ordered[i];
            var blockers = _state.Holders.Where(h => Conflicts(h.Lease.Mode, waiter.Mode)).Select(h => h.Lease.Owner)
                .Concat(ordered.Take(i).Where(w => Conflicts(w.Mode, waiter.Mode)).Select(w => w.Owner))
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (blockers.Count > 0)
            {
                waits.Add(new LockWait
                {
                    Owner = waiter.Owner,
                    Key = Key,
                    RequestId = waiter.RequestId,
                    Priority = waiter.Priority,
                    WaitingSince = waiter.EnqueuedAt,
                    BlockedBy = blockers,
                });
            }
        }

        return waits;
    }

    /// <summary>
    /// Ends the victim's wait with <see cref="LockOutcome.Deadlock"/> and records the cycle; false when the
    /// victim is not (any more) waiting on this lock, e.g. it was granted since the graph was taken.
    /// </summary>
    public bool ResolveDeadlock(DeadlockCycle cycle, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        Advance(now);
        var victim = cycle.Victim;
        var waiter = _state.Waiters.FirstOrDefault(w => w.RequestId == victim.RequestId);
        if (victim.Key != Key || waiter is null)
        {
            return false;
        }

        _state.Waiters.Remove(waiter);
        Remember(waiter, AcquireOutcome.Deadlock(waiter.RequestId, "deadlock: " + cycle.Describe()), now);
        _events.Add(new LockDeadlockDetected
        {
            Key = Key,
            Owner = waiter.Owner,
            RequestId = waiter.RequestId,
            OccurredAt = now,
            Cycle = cycle,
        });
        GrantWaiters(now);
        return true;
    }

    private void GrantWaiters(DateTimeOffset now)
    {
        foreach (var waiter in Ordered())
        {
            if (!Fits(waiter.Mode))
            {
                // Nobody overtakes the first waiter that does not fit: that is what keeps writers from starving.
                return;
            }

            Grant(waiter, now);
        }
    }

    private void Grant(LockWaiter waiter, DateTimeOffset now)
    {
        var token = ++_state.LastFencingToken;
        var lease = new LockLease
        {
            LeaseId = LockLeaseId.Create(Key, token, Guid.NewGuid().ToString("N")[..12]),
            Key = Key,
            Owner = waiter.Owner,
            Mode = waiter.Mode,
            FencingToken = token,
            AcquiredAt = now,
            ExpiresAt = now + waiter.Ttl,
        };
        _state.Waiters.Remove(waiter);
        _state.Holders.Add(new LockHolder { Lease = lease, RequestId = waiter.RequestId, Priority = waiter.Priority, Purpose = waiter.Purpose });
        Remember(waiter, AcquireOutcome.Acquired(waiter.RequestId, lease), now);
        _events.Add(new LockAcquired
        {
            Key = Key,
            Owner = waiter.Owner,
            FencingToken = token,
            RequestId = waiter.RequestId,
            OccurredAt = now,
            Lease = lease,
            Waited = now - waiter.EnqueuedAt,
        });
    }

    private bool Fits(LockMode mode) => _state.Holders.All(h => !Conflicts(h.Lease.Mode, mode));

    private static bool Conflicts(LockMode a, LockMode b) => a == LockMode.Exclusive || b == LockMode.Exclusive;

    /// <summary>
    /// Grant order. Ranking by priority + waited/step is the same as ranking by
    /// <c>EnqueuedAt - Priority × step</c> (earliest first), which does not move with time; arrival order breaks ties.
    /// </summary>
    private List<LockWaiter> Ordered() =>
        _state.Waiters
            .Select((waiter, arrival) => (waiter, arrival))
            .OrderBy(x => x.waiter.EnqueuedAt.UtcTicks - (x.waiter.Priority * _options.AgingStep.Ticks))
            .ThenBy(x => x.arrival)
            .Select(x => x.waiter)
            .ToList();

    private int PositionOf(string requestId) => Ordered().FindIndex(w => w.RequestId == requestId) + 1;

    private LockHolder? FindHolder(string requestId) => _state.Holders.FirstOrDefault(h => h.RequestId == requestId);

    private LockHolder? FindHolderByLease(string leaseId) => _state.Holders.FirstOrDefault(h => h.Lease.LeaseId == leaseId);

    private LeaseEnd? FindEnded(string leaseId) => _state.EndedLeases.LastOrDefault(e => e.LeaseId == leaseId);

    private int HolderIndex(string leaseId, string owner)
    {
        var index = _state.Holders.FindIndex(h => h.Lease.LeaseId == leaseId);
        if (index < 0)
        {
            throw new LeaseNotFoundException(leaseId, FindEnded(leaseId));
        }

        if (!string.Equals(_state.Holders[index].Lease.Owner, owner, StringComparison.Ordinal))
        {
            throw new NotLockHolderException(leaseId, owner);
        }

        return index;
    }

    private void End(LockHolder holder, LeaseEndKind kind, string? by, string? reason, DateTimeOffset now)
    {
        _state.Holders.Remove(holder);
        _state.EndedLeases.Add(new LeaseEnd
        {
            LeaseId = holder.Lease.LeaseId,
            Owner = holder.Lease.Owner,
            FencingToken = holder.Lease.FencingToken,
            Kind = kind,
            At = kind == LeaseEndKind.Expired ? holder.Lease.ExpiresAt : now,
            By = by,
            Reason = reason,
        });
        Trim(_state.EndedLeases, _options.RememberedLeaseEnds);
    }

    private void Remember(LockWaiter waiter, AcquireOutcome outcome, DateTimeOffset now)
    {
        _state.Requests.RemoveAll(r => r.RequestId == waiter.RequestId || r.At < now - _options.RequestRetention);
        _state.Requests.Add(new RememberedRequest { RequestId = waiter.RequestId, Owner = waiter.Owner, Mode = waiter.Mode, Outcome = outcome, At = now });
        Trim(_state.Requests, _options.RememberedRequests);
    }

    private static void Trim<T>(List<T> list, int max)
    {
        if (list.Count > max)
        {
            list.RemoveRange(0, list.Count - max);
        }
    }

    /// <summary>A request id names one request: reusing it for another owner or mode is a client bug, not a retry.</summary>
    private void RejectReusedRequestId(AcquireRequest request)
    {
        var (owner, mode) = FindHolder(request.RequestId) is { } holder ? (holder.Lease.Owner, holder.Lease.Mode)
            : _state.Waiters.FirstOrDefault(w => w.RequestId == request.RequestId) is { } waiter ? (waiter.Owner, waiter.Mode)
            : _state.Requests.LastOrDefault(r => r.RequestId == request.RequestId) is { } remembered ? (remembered.Owner, remembered.Mode)
            : (null, request.Mode);
        if (owner is not null && (!string.Equals(owner, request.Owner, StringComparison.Ordinal) || mode != request.Mode))
        {
            throw new LockRequestException("RequestId",
                $"was already used on {Key} by '{owner}' for a {mode} request; a retry must repeat the same owner and mode");
        }
    }

    private string DescribeBlockers(LockWaiter waiter)
    {
        var holders = _state.Holders.Where(h => Conflicts(h.Lease.Mode, waiter.Mode)).Select(h => h.Lease.Owner).Distinct().ToList();
        if (holders.Count > 0)
        {
            var mode = _state.Holders.Any(h => h.Lease.Mode == LockMode.Exclusive) ? "exclusively" : "shared";
            return $"{Key} is held {mode} by {string.Join(", ", holders)}";
        }

        return $"{Key} has waiters ahead of this request";
    }

    private static void CheckReason(string? reason, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(reason))
        {
            throw new LockRequestException("Reason", "is required for a forced release");
        }

        if (reason is { Length: > LockLimits.MaxReasonLength })
        {
            throw new LockRequestException("Reason", $"must be at most {LockLimits.MaxReasonLength} characters (got {reason.Length})");
        }
    }

    private static DateTimeOffset? Earliest(IEnumerable<DateTimeOffset> times, DateTimeOffset now)
    {
        DateTimeOffset? earliest = null;
        foreach (var time in times)
        {
            if (time <= now && (earliest is null || time < earliest))
            {
                earliest = time;
            }
        }

        return earliest;
    }
}
