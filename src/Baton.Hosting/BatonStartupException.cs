namespace Baton.Hosting;

/// <summary>
/// A start-up failure whose message is meant for the operator as it is: one line that names
/// the setting and the cause, with no secret in it.
/// </summary>
public sealed class BatonStartupException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Finds the operator-facing message in an exception chain, or describes the innermost fault.</summary>
    public static string Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BatonStartupException startup)
            {
                return startup.Message;
            }

            if (e is IOException io && io.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal))
            {
                return $"HTTP address (--urls / ASPNETCORE_URLS): {io.Message}";
            }

            if (e is Microsoft.Extensions.Options.OptionsValidationException validation)
            {
                return string.Join(" ", validation.Failures);
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    var found = Find(inner);
                    if (found is not null)
                    {
                        return found;
                    }
                }
            }
        }

        var innermost = exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return $"Baton failed to start: {innermost.GetType().Name}: {innermost.Message}";
    }

    private static string? Find(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BatonStartupException startup)
            {
                return startup.Message;
            }
        }

        return null;
    }
}
