using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Client.Cluster;
using Orleans.Runtime;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary><c>baton cluster …</c>: the silos that make up the cluster.</summary>
public static class ClusterCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static Command Create(CliContext cli)
    {
        var cluster = new Command("cluster", "The silos that make up the cluster.");
        cluster.Subcommands.Add(Status(cli));
        return cluster;
    }

    private static Command Status(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON document instead of a table." };
        var status = new Command("status", "List the silos: address, name, status, start time and activations.") { json };
        status.SetAction(async (parse, ct) =>
        {
            IReadOnlyList<SiloStatusRow> silos;
            await using (var client = await cli.ConnectAsync(parse, ct))
            {
                silos = await client.GetClusterStatusAsync(ct);
            }

            if (parse.GetValue(json))
            {
                WriteJson(cli.Out, silos);
            }
            else
            {
                WriteTable(cli.Console, silos);
            }

            return ExitCodes.Ok;
        });
        return status;
    }

    private static void WriteJson(TextWriter output, IReadOnlyList<SiloStatusRow> silos)
    {
        var document = new StatusDocument(silos
            .Select(s => new SiloDocument(s.Address, s.Name, s.Host, s.Status.ToString(), s.StartedAt, s.Activations))
            .ToList());
        output.WriteLine(JsonSerializer.Serialize(document, Json));
        output.Flush();
    }

    private static void WriteTable(IAnsiConsole console, IReadOnlyList<SiloStatusRow> silos)
    {
        if (silos.Count == 0)
        {
            console.WriteLine("No silos in the cluster's membership.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Address");
        table.AddColumn("Name");
        table.AddColumn("Status");
        table.AddColumn("Started (UTC)");
        table.AddColumn(new TableColumn("Activations").RightAligned());
        foreach (var silo in silos)
        {
            table.AddRow(
                new Text(silo.Address),
                new Text(silo.Name),
                new Text(silo.Status.ToString(), StatusStyle(silo.Status)),
                new Text(silo.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                new Text(silo.Activations?.ToString(CultureInfo.InvariantCulture) ?? "-"));
        }

        console.Write(table);
    }

    private static Style StatusStyle(SiloStatus status) => status switch
    {
        SiloStatus.Active => new Style(Color.Green),
        SiloStatus.Joining or SiloStatus.Created => new Style(Color.Yellow),
        SiloStatus.ShuttingDown or SiloStatus.Stopping => new Style(Color.Orange1),
        _ => new Style(Color.Grey),
    };

    private sealed record StatusDocument(IReadOnlyList<SiloDocument> Silos);

    private sealed record SiloDocument(
        string Address,
        string Name,
        string Host,
        string Status,
        DateTimeOffset StartedAt,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Activations);
}
