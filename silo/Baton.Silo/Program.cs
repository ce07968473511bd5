using Baton.Api;
using Baton.Hosting;
using Orleans.Dashboard;

try
{
    var builder = WebApplication.CreateBuilder(args);
    var baton = builder.AddBatonOptions();
    builder.UseOrleans(silo => silo.AddBaton(baton));
    builder.AddBatonApi(baton);

    var app = builder.Build();
    app.MapBatonApi();
    app.MapOrleansDashboard("/dashboard");
    await app.RunAsync();
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine(BatonStartupException.Describe(ex));
    return 1;
}
