namespace Baton.Contracts.Locks;

/// <summary>The bounds every lock request is checked against, in one place for the API and the CLI to quote.</summary>
public static class LockLimits
{
    public const int MaxKeyLength = 256;
    public const int MaxOwnerLength = 256;
    public const int MaxRequestIdLength = 128;
    public const int MaxPurposeLength = 200;
    public const int MaxReasonLength = 200;
    public const int MinPriority = 0;
    public const int MaxPriority = 100;

    public static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(300);
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(300);

    /// <summary>Throws a <see cref="LockRequestException"/> for <paramref name="field"/> unless the text is present, short enough and free of control characters.</summary>
    public static void CheckText(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new LockRequestException(field, "is required");
        }

        if (value.Length > maxLength)
        {
            throw new LockRequestException(field, $"must be at most {maxLength} characters (got {value.Length})");
        }

        if (value.Any(char.IsControl))
        {
            throw new LockRequestException(field, "must not contain control characters");
        }
    }

    /// <summary>Throws a <see cref="LockRequestException"/> for <c>Ttl</c> unless it is within 5–300 s.</summary>
    public static void CheckTtl(TimeSpan ttl)
    {
        if (ttl < MinTtl || ttl > MaxTtl)
        {
            throw new LockRequestException("Ttl",
                $"must be between {MinTtl.TotalSeconds:0} and {MaxTtl.TotalSeconds:0} seconds (got {ttl.TotalSeconds:0.###})");
        }
    }
}
