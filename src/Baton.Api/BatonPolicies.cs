using Baton.Hosting;
using Microsoft.AspNetCore.Authorization;

namespace Baton.Api;

/// <summary>Authorization policies by role; <c>admin</c> may do everything.</summary>
public static class BatonPolicies
{
    public const string Agent = "agent";
    public const string Reviewer = "reviewer";
    public const string Admin = "admin";

    /// <summary>Any Baton role: reading the change feed.</summary>
    public const string AnyRole = "any-role";

    internal static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Agent, p => p.RequireAuthenticatedUser().RequireRole(BatonRoles.Agent, BatonRoles.Admin));
        options.AddPolicy(Reviewer, p => p.RequireAuthenticatedUser().RequireRole(BatonRoles.Reviewer, BatonRoles.Admin));
        options.AddPolicy(AnyRole, p => p.RequireAuthenticatedUser().RequireRole(BatonRoles.Agent, BatonRoles.Reviewer, BatonRoles.Admin));
        options.AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(BatonRoles.Admin));
    }
}
