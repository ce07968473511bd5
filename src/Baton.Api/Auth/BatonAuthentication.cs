using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Baton.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Api.Auth;

public static class BatonAuthentication
{
    public const string Scheme = "Bearer";

    /// <summary>The principal every loopback caller is when dev mode runs without API keys.</summary>
    public const string LocalAdmin = "local-admin";

    public static ClaimsPrincipal Principal(string name, IEnumerable<string> roles, string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name), new(ClaimTypes.NameIdentifier, name) };
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    internal static Task WriteProblemAsync(HttpResponse response, int status, string title, string detail)
    {
        response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(response.HttpContext);
    }
}

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> against the configured keys.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not 'Bearer <key>'."));
        }

        var presented = header["Bearer ".Length..].Trim();
        if (!keys.TryAuthenticate(presented, out var principal, out var roles))
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var ticket = new AuthenticationTicket(BatonAuthentication.Principal(principal, roles, Scheme.Name), Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(ticket));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        => BatonAuthentication.WriteProblemAsync(Response, StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send 'Authorization: Bearer <key>' with a key configured in Baton:ApiKeys.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => BatonAuthentication.WriteProblemAsync(Response, StatusCodes.Status403Forbidden, "Forbidden",
            "The API key's roles do not allow this operation.");
}

/// <summary>
/// Dev mode without API keys: a loopback caller is the local admin; anyone else is refused.
/// The API is bound to loopback in that mode too; this check is the second line.
/// </summary>
public sealed class LocalAdminAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var remote = Context.Connection.RemoteIpAddress;
        if (remote is not null && !IPAddress.IsLoopback(remote))
        {
            return Task.FromResult(AuthenticateResult.Fail("Without API keys only loopback callers are served."));
        }

        var ticket = new AuthenticationTicket(
            BatonAuthentication.Principal(BatonAuthentication.LocalAdmin, BatonRoles.All, Scheme.Name), Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(ticket));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        => BatonAuthentication.WriteProblemAsync(Response, StatusCodes.Status401Unauthorized, "Unauthorized",
            "Without API keys this dev-mode silo serves loopback callers only.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => BatonAuthentication.WriteProblemAsync(Response, StatusCodes.Status403Forbidden, "Forbidden",
            "This operation is not allowed.");
}
