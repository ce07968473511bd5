using Baton.Api;
using Baton.Hosting;
using Orleans.Dashboard;

namespace Baton.Silo;

/// <summary>The whole silo host: configuration, Orleans, the HTTP API and the dashboard.</summary>
public static class SiloApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        var baton = builder.AddBatonOptions();
        builder.UseOrleans(silo => silo.AddBaton(baton));
        builder.AddBatonApi(baton);

        var app = builder.Build();
        app.MapBatonApi();
        app.MapOrleansDashboard("/dashboard");
        return app;
    }
}
