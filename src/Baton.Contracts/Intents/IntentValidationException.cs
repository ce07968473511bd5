namespace Baton.Contracts.Intents;

/// <summary>
/// An intent request, review or policy broke a rule; nothing was changed. <see cref="Field"/> names the offending input
/// (the .NET member name, e.g. <c>Payload</c>) and <see cref="Rule"/> says what it must be.
/// </summary>
[GenerateSerializer, Alias("baton.intents.validation_error")]
public sealed class IntentValidationException : Exception
{
    public IntentValidationException()
    {
    }

    public IntentValidationException(string message) : base(message)
    {
    }

    public IntentValidationException(string message, Exception inner) : base(message, inner)
    {
    }

    public IntentValidationException(string field, string rule) : base($"{field}: {rule}")
    {
        Field = field;
        Rule = rule;
    }

    [Id(0)] public string Field { get; private set; } = "";

    [Id(1)] public string Rule { get; private set; } = "";
}
