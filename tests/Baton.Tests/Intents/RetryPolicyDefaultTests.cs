using Baton.Contracts.Intents;

namespace Baton.Tests.Intents;

/// <summary>The default retry policy cannot be changed through an intent that was read back from storage.</summary>
public sealed class RetryPolicyDefaultTests
{
    [Fact]
    public void Populating_an_intents_retry_policy_in_place_leaves_the_default_alone()
    {
        var intent = new Intent();
        var settings = new Newtonsoft.Json.JsonSerializerSettings { ObjectCreationHandling = Newtonsoft.Json.ObjectCreationHandling.Auto };

        // What Orleans' JSON grain-storage serializer does on read: members with a value are populated, not replaced.
        Newtonsoft.Json.JsonConvert.PopulateObject("""{"RetryPolicy":{"MaxAttempts":2,"InitialDelay":"00:00:00.1"}}""", intent, settings);

        Assert.Equal(2, intent.RetryPolicy.MaxAttempts);
        Assert.Equal(5, RetryPolicy.Default.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), new Intent().RetryPolicy.InitialDelay);
    }
}
