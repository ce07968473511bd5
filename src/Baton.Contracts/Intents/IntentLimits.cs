namespace Baton.Contracts.Intents;

/// <summary>The fixed limits of write intents, reviews and batches.</summary>
public static class IntentLimits
{
    /// <summary>The largest payload, in UTF-8 bytes of the JSON text: 256 KiB.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    public const int MaxKeyTokenLength = 64;

    public const int MaxResourceRefLength = 512;

    public const int MaxPrincipalLength = 256;

    public const int MaxDescriptionLength = 4000;

    public const int MaxReasonLength = 2000;

    public const int MaxTags = 32;

    public const int MaxTagLength = 64;

    public const int MaxTicketRefLength = 256;

    /// <summary>The most intents one <see cref="BatchReview"/> may name.</summary>
    public const int MaxBatch = 100;

    public const int MaxAttempts = 20;

    public static readonly TimeSpan MinApprovalTimeout = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaxApprovalTimeout = TimeSpan.FromDays(30);

    public static readonly TimeSpan DefaultApprovalTimeout = TimeSpan.FromHours(24);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromHours(1);
}
