using Baton.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Runtime;

namespace Baton.Api;

/// <summary><c>GET /healthz</c>: 200 while this silo serves grain calls, 503 before and after.</summary>
public static class HealthEndpoint
{
    public const string Path = "/healthz";

    public static IEndpointConventionBuilder MapBatonHealth(this IEndpointRouteBuilder endpoints)
        => endpoints.MapGet(Path, (SiloServingState state, IClusterMembershipService membership, ILocalSiloDetails silo, BatonOptions options) =>
            {
                var active = membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
                var report = new HealthReport(state.IsServing ? "healthy" : state.Phase, options.Mode, silo.SiloAddress.ToParsableString(), active);
                return state.IsServing ? Results.Ok(report) : Results.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .AllowAnonymous()
            .WithName("Health")
            .WithSummary("Whether this silo serves grain calls, its mode and the number of active silos.")
            .Produces<HealthReport>()
            .Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
}

public sealed record HealthReport(string Status, string Mode, string Silo, int ActiveSilos);
