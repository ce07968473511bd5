using Baton.Hosting;
using Baton.Silo;

try
{
    await SiloApp.Build(args).RunAsync();
    return 0;
}
catch (Exception ex)
{
    // One line that names the setting and the cause; the logs above hold the details.
    Console.Error.WriteLine(BatonStartupException.Describe(ex));
    return 1;
}
