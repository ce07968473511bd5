using System.CommandLine;
using Baton.Benchmarks;

// Benchmarks print `metric value unit` lines (like ../shared/bench/peers) so that
// `python3 ../shared/bench/peers/table.py` can set them beside a peer run.
var duration = new Option<int>("--duration") { Description = "Measured seconds per case.", DefaultValueFactory = _ => 10, Recursive = true };
var warmup = new Option<int>("--warmup") { Description = "Unmeasured warm-up seconds per case.", DefaultValueFactory = _ => 1, Recursive = true };
var root = new RootCommand("Baton benchmarks (PostgreSQL mode, through the .NET client). Run with -c Release.");
root.Options.Add(duration);
root.Options.Add(warmup);
foreach (var suite in Suites.All)
{
    var command = new Command(suite.Name, suite.Description);
    command.SetAction(async (result, ct) =>
    {
        var settings = new BenchSettings(TimeSpan.FromSeconds(result.GetValue(warmup)), TimeSpan.FromSeconds(result.GetValue(duration)));
        await suite.RunAsync(settings, ct);
        return 0;
    });
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
