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
}
