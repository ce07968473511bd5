using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Baton.Api;
using Baton.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Baton.Tests.Deployment;

/// <summary>
/// The deployment files (docker-compose.yml, deploy/Dockerfile, deploy/k8s/*.yaml,
/// deploy/local-cluster.sh) agree with the code: ports, configuration keys, probes and secrets.
/// </summary>
public sealed class DeploymentFilesTests
{
    // ASP.NET Core takes its address from ASPNETCORE_URLS, not from BatonOptions; 8080 is the
    // deployment's own choice and must be the same in every file.
    private const int HttpPort = 8080;

    // The path the API maps; probes that ask elsewhere would fail every pod.
    private const string HealthPath = HealthEndpoint.Path;

    private static readonly BatonOptions Defaults = new();

    private static readonly string[] Silos = ["silo1", "silo2", "silo3"];

    private static readonly Regex RequiredInterpolation = new(@"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}$");

    private static readonly string Root = FindRepositoryRoot();

    // ---------------------------------------------------------------- docker-compose.yml

    [Fact]
    public void Compose_runs_postgres_and_three_silos_built_from_the_Dockerfile()
    {
        var services = Map(Get(Compose(), "services"));

        var postgres = services["postgres"];
        Assert.Equal("postgres:15", Str(Get(postgres, "image")));
        Assert.Contains("pg_isready", string.Join(" ", Seq(Get(Get(postgres, "healthcheck"), "test")).Select(Str)));
        var postgresEnvironment = Map(Get(postgres, "environment"));
        Assert.All(new[] { "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD" }, key => Assert.True(postgresEnvironment.ContainsKey(key), key));
        Assert.NotEmpty(Seq(Get(postgres, "volumes")));

        foreach (var name in Silos)
        {
            var silo = services[name];
            var build = Get(silo, "build");
            Assert.Equal(".", Str(Get(build, "context")));
            Assert.Equal("deploy/Dockerfile", Str(Get(build, "dockerfile")));
            Assert.Equal("service_healthy", Str(Get(Get(Get(silo, "depends_on"), "postgres"), "condition")));
        }
    }

    [Fact]
    public void Compose_silo1_publishes_the_http_port_and_the_default_gateway_port()
    {
        var services = Map(Get(Compose(), "services"));

        var published = Seq(Get(services["silo1"], "ports")).Select(p => Str(p).Split(':')).ToList();
        Assert.Contains(published, p => p[^1] == $"{HttpPort}" && p[^2] == $"{HttpPort}");
        Assert.Contains(published, p => p[^1] == $"{Defaults.GatewayPort}" && p[^2] == $"{Defaults.GatewayPort}");
        Assert.All(published, p => Assert.Contains(int.Parse(p[^1], CultureInfo.InvariantCulture), new[] { HttpPort, Defaults.SiloPort, Defaults.GatewayPort }));
    }

    [Fact]
    public void Compose_health_checks_probe_the_health_endpoint()
    {
        var services = Map(Get(Compose(), "services"));

        foreach (var name in Silos)
        {
            var test = string.Join(" ", Seq(Get(Get(services[name], "healthcheck"), "test")).Select(Str));
            Assert.Contains($":{HttpPort}{HealthPath}", test);
        }
    }

    [Fact]
    public void Compose_silo_environment_binds_to_valid_Postgres_mode_options()
    {
        var services = Map(Get(Compose(), "services"));

        foreach (var name in Silos)
        {
            var environment = Map(Get(services[name], "environment"))
                .Where(e => Str(e.Key).StartsWith("Baton__", StringComparison.Ordinal))
                .ToDictionary(e => Str(e.Key), e => Regex.Replace(Str(e.Value), @"\$\{[^}]*\}", "placeholder0123456789abcdef"));

            var options = Bind(environment);

            Assert.True(options.IsPostgres, name);
            Assert.Equal("postgres", new NpgsqlConnectionStringBuilder(options.Postgres).Host);
            Assert.Equal(name, options.AdvertisedAddress);
            Assert.Contains(options.ApiKeys, k => k.Roles.Contains(BatonRoles.Admin));
        }
    }

    // ---------------------------------------------------------------- deploy/k8s

    [Fact]
    public void K8s_silo_ports_are_named_and_equal_the_option_defaults()
    {
        var ports = Seq(Get(SiloContainer(), "ports")).ToDictionary(p => Str(Get(p, "name")), p => Int(Get(p, "containerPort")));

        Assert.Equal(new Dictionary<string, int> { ["http"] = HttpPort, ["silo"] = Defaults.SiloPort, ["gateway"] = Defaults.GatewayPort }, ports);
    }

    [Fact]
    public void K8s_services_select_the_silo_pods_and_target_their_named_ports()
    {
        var statefulSet = Manifest("StatefulSet");
        var podLabels = Map(Get(Get(Get(Get(statefulSet, "spec"), "template"), "metadata"), "labels"));
        var containerPorts = Seq(Get(SiloContainer(), "ports")).ToDictionary(p => Str(Get(p, "name")), p => Int(Get(p, "containerPort")));

        var services = Manifests().Where(m => Kind(m) == "Service").ToList();
        Assert.Contains(services, s => Get(Get(s, "spec"), "clusterIP") is "None");
        var clusterIp = Assert.Single(services, s => Get(Get(s, "spec"), "clusterIP") is not "None");
        Assert.Equal(new[] { "http", "gateway" }, Seq(Get(Get(clusterIp, "spec"), "ports")).Select(p => Str(Get(p, "name"))));

        foreach (var service in services)
        {
            var spec = Get(service, "spec");
            Assert.All(Map(Get(spec, "selector")), label => Assert.Equal(podLabels[label.Key], label.Value));
            foreach (var port in Seq(Get(spec, "ports")))
            {
                var target = Str(Get(port, "targetPort"));
                Assert.True(containerPorts.ContainsKey(target), $"targetPort {target} names no container port");
                Assert.Equal(containerPorts[target], Int(Get(port, "port")));
            }
        }

        var headless = Assert.Single(services, s => Get(Get(s, "spec"), "clusterIP") is "None");
        Assert.Equal(Str(Get(Get(headless, "metadata"), "name")), Str(Get(Get(statefulSet, "spec"), "serviceName")));
    }

    [Fact]
    public void K8s_statefulset_runs_three_silos_that_shut_down_gracefully()
    {
        var statefulSet = Manifest("StatefulSet");
        Assert.Equal("baton-silo", Str(Get(Get(statefulSet, "metadata"), "name")));
        var spec = Get(statefulSet, "spec");
        Assert.Equal(3, Int(Get(spec, "replicas")));

        var podSpec = Get(Get(spec, "template"), "spec");
        Assert.True(Int(Get(podSpec, "terminationGracePeriodSeconds")) >= 60);
        var preStop = Seq(Get(Get(Get(Get(SiloContainer(), "lifecycle"), "preStop"), "exec"), "command")).Select(Str).ToList();
        Assert.Equal("sleep", preStop[0]);
        Assert.True(int.Parse(preStop[1], CultureInfo.InvariantCulture) < Int(Get(podSpec, "terminationGracePeriodSeconds")));
        Assert.Equal("true", Str(Get(Get(podSpec, "securityContext"), "runAsNonRoot")));

        var pdb = Manifest("PodDisruptionBudget");
        Assert.Equal(1, Int(Get(Get(pdb, "spec"), "maxUnavailable")));
        var podLabels = Map(Get(Get(Get(spec, "template"), "metadata"), "labels"));
        Assert.All(Map(Get(Get(Get(pdb, "spec"), "selector"), "matchLabels")), label => Assert.Equal(podLabels[label.Key], label.Value));
    }

    [Fact]
    public void K8s_probes_use_the_health_endpoint_on_the_http_port()
    {
        var container = SiloContainer();

        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            var httpGet = Get(Get(container, probe), "httpGet");
            Assert.Equal(HealthPath, Str(Get(httpGet, "path")));
            Assert.Equal("http", Str(Get(httpGet, "port")));
        }
    }

    [Fact]
    public void K8s_silos_advertise_their_pod_ip()
    {
        var env = Seq(Get(SiloContainer(), "env")).Select(Map).ToList();
        var names = env.Select(e => Str(e["name"])).ToList();

        var podIp = env.Single(e => Str(e["name"]) == "POD_IP");
        Assert.Equal("status.podIP", Str(Get(Get(podIp["valueFrom"], "fieldRef"), "fieldPath")));
        var advertised = env.Single(e => Str(e["name"]) == "Baton__AdvertisedAddress");
        Assert.Equal("$(POD_IP)", Str(advertised["value"]));
        // Kubernetes expands $(VAR) only from variables declared earlier in the list.
        Assert.True(names.IndexOf("POD_IP") < names.IndexOf("Baton__AdvertisedAddress"));
    }

    [Fact]
    public void K8s_postgres_connection_and_api_keys_come_from_secrets_the_example_defines()
    {
        var env = Seq(Get(SiloContainer(), "env")).Select(Map).ToDictionary(e => Str(e["name"]));
        var exampleSecrets = Documents(Path.Combine(Root, "deploy", "k8s", "secret.example.yaml"))
            .ToDictionary(s => Str(Get(Get(s, "metadata"), "name")), s => Map(Get(s, "stringData")));

        var postgres = SecretKeyRef(env["Baton__Postgres"]);
        Assert.Equal(("baton-postgres", "connection-string"), postgres);

        var secretBacked = env.Where(e => IsSecretName(e.Key)).ToList();
        Assert.Contains(secretBacked, e => e.Key == "Baton__ApiKeys__0__Key");
        foreach (var (name, entry) in secretBacked)
        {
            var (secret, key) = SecretKeyRef(entry);
            Assert.True(exampleSecrets.TryGetValue(secret, out var data) && data.ContainsKey(key), $"{name}: secret.example.yaml defines no {secret}/{key}");
        }
    }

    [Fact]
    public void K8s_silo_environment_binds_to_valid_Postgres_mode_options()
    {
        var environment = Seq(Get(SiloContainer(), "env")).Select(Map)
            .Where(e => Str(e["name"]).StartsWith("Baton__", StringComparison.Ordinal))
            .ToDictionary(
                e => Str(e["name"]),
                e => e.TryGetValue("value", out var value)
                    ? Str(value).Replace("$(POD_IP)", "10.1.2.3", StringComparison.Ordinal)
                    : Str(e["name"]) == "Baton__Postgres" ? "Host=postgres.example;Database=baton;Username=baton;Password=placeholder" : "placeholder0123456789abcdef");

        var options = Bind(environment);

        Assert.True(options.IsPostgres);
        Assert.Equal("10.1.2.3", options.AdvertisedAddress);
        Assert.Contains(options.ApiKeys, k => k.Roles.Contains(BatonRoles.Admin));
    }

    [Fact]
    public void K8s_manifests_are_namespace_less_and_listed_by_the_kustomization()
    {
        var folder = Path.Combine(Root, "deploy", "k8s");
        var kustomization = Assert.Single(Documents(Path.Combine(folder, "kustomization.yaml")));
        var resources = Seq(Get(kustomization, "resources")).Select(Str).Order(StringComparer.Ordinal).ToList();

        // The Secret example holds placeholders; applying it would overwrite real Secrets.
        var manifests = Directory.GetFiles(folder, "*.yaml").Select(f => Path.GetRelativePath(folder, f))
            .Where(f => f is not "kustomization.yaml" and not "secret.example.yaml")
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(manifests, resources);
        Assert.Null(Get(kustomization, "namespace"));

        foreach (var manifest in Manifests().Concat(Documents(Path.Combine(folder, "secret.example.yaml"))))
        {
            Assert.Null(Get(Get(manifest, "metadata"), "namespace"));
        }
    }

    [Fact]
    public void Secret_example_holds_only_placeholders()
    {
        foreach (var secret in Documents(Path.Combine(Root, "deploy", "k8s", "secret.example.yaml")))
        {
            Assert.Equal("Secret", Kind(secret));
            Assert.Null(Get(secret, "data"));
            Assert.All(Map(Get(secret, "stringData")), entry => Assert.Contains("REPLACE_ME", Str(entry.Value), StringComparison.Ordinal));
        }
    }

    // ---------------------------------------------------------------- every file

    [Fact]
    public void Every_Baton_environment_key_names_a_BatonOptions_setting()
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var service in Map(Get(Compose(), "services")).Values)
        {
            if (Get(service, "environment") is { } environment)
            {
                keys.UnionWith(Map(environment).Keys.Select(Str));
            }
        }

        keys.UnionWith(Seq(Get(SiloContainer(), "env")).Select(e => Str(Get(e, "name"))));
        keys.UnionWith(Regex.Matches(Read("deploy", "local-cluster.sh"), @"\bBaton__\w+").Select(m => m.Value));

        var batonKeys = keys.Where(k => k.StartsWith("Baton__", StringComparison.Ordinal)).ToList();
        Assert.Contains("Baton__Postgres", batonKeys);
        Assert.Contains("Baton__ApiKeys__0__Roles__0", batonKeys);
        var errors = batonKeys.Select(OptionPathError).OfType<string>().ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Theory]
    [InlineData("Baton__SiloPort")]
    [InlineData("baton__gatewayport")]
    [InlineData("Baton__Gateways__2")]
    [InlineData("Baton__ApiKeys__0__Key")]
    [InlineData("Baton__ApiKeys__10__Roles__3")]
    public void Option_paths_accept_settings_and_list_indices(string key) => Assert.Null(OptionPathError(key));

    [Theory]
    [InlineData("Baton__SiloPorts")]
    [InlineData("Baton__Mode")]
    [InlineData("Baton__ApiKeys__0")]
    [InlineData("Baton__ApiKeys__first__Key")]
    [InlineData("Baton__ApiKeys__0__Secret")]
    [InlineData("Baton__SiloPort__0")]
    [InlineData("Orleans__SiloPort")]
    public void Option_paths_reject_what_binding_would_ignore(string key) => Assert.NotNull(OptionPathError(key));

    [Theory]
    [InlineData("3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e", true)]
    [InlineData("c2VjcmV0LWtleS1mb3ItYmF0b24tdGVzdHM=", true)]
    [InlineData("Baton__ApiKeys__0__Roles__0", false)]
    [InlineData("REPLACE_ME", false)]
    [InlineData("app.kubernetes.io/component", false)]
    public void Key_detector_tells_generated_keys_from_names(string value, bool isKey) => Assert.Equal(isKey, LooksLikeKey(value));

    [Fact]
    public void No_secret_value_is_committed_in_compose_or_k8s()
    {
        // Secrets come from the environment of `docker compose up`, and only in the required
        // form ${VAR:?message}: a ${VAR:-default} would commit the default.
        foreach (var (name, value) in ComposeEnvironment())
        {
            var passwords = Regex.Matches(value, @"(?i)\bpassword\s*=\s*([^;]*)");
            Assert.All(passwords, password => Assert.Matches(RequiredInterpolation, password.Groups[1].Value));
            if (name == "Baton__Postgres")
            {
                Assert.NotEmpty(passwords);
            }
            else if (IsSecretName(name))
            {
                Assert.Matches(RequiredInterpolation, value);
            }
        }

        foreach (var entry in Seq(Get(SiloContainer(), "env")).Select(Map))
        {
            var name = Str(entry["name"]);
            if (IsSecretName(name))
            {
                Assert.False(entry.ContainsKey("value"), $"{name} has a literal value");
                SecretKeyRef(entry);
            }
        }

        // Nothing shaped like a generated key: long, letters and digits, no spaces or dots, and
        // not a configuration key path such as Baton__ApiKeys__0__Roles__0.
        var scalars = Scalars(Compose()).Concat(Manifests().SelectMany(Scalars))
            .Concat(Documents(Path.Combine(Root, "deploy", "k8s", "secret.example.yaml")).SelectMany(Scalars));
        Assert.DoesNotContain(scalars, s => LooksLikeKey(s));
    }

    // ---------------------------------------------------------------- Dockerfile and script

    [Fact]
    public void Dockerfile_exposes_the_ports_and_runs_the_silo_as_non_root()
    {
        var instructions = DockerfileInstructions();
        string[] Values(string instruction) => instructions.Where(i => i.Instruction == instruction).Select(i => i.Arguments).ToArray();

        var exposed = Values("EXPOSE").SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(new[] { HttpPort, Defaults.SiloPort, Defaults.GatewayPort }.Order().ToArray(), exposed);

        var from = Values("FROM");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0 ", from[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", from[^1], StringComparison.Ordinal);
        Assert.Contains(Values("RUN"), r => r.Contains("dotnet publish silo/Baton.Silo.csproj", StringComparison.Ordinal));
        Assert.Contains(Values("ENV"), e => e.Contains($"ASPNETCORE_URLS=http://+:{HttpPort}", StringComparison.Ordinal));
        Assert.Contains($":{HttpPort}{HealthPath}", Assert.Single(Values("HEALTHCHECK")), StringComparison.Ordinal);
        Assert.Equal("SIGTERM", Assert.Single(Values("STOPSIGNAL")));

        var user = Values("USER")[^1];
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        var lastFrom = instructions.FindLastIndex(i => i.Instruction == "FROM");
        Assert.True(instructions.FindLastIndex(i => i.Instruction == "USER") > lastFrom, "USER must be set in the runtime stage");

        var entrypoint = Assert.Single(Values("ENTRYPOINT"));
        var dll = Regex.Match(entrypoint, @"[\w.]+\.dll").Value;
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, dll)), $"ENTRYPOINT runs {dll}, which the silo project does not build");
    }

    [Fact]
    public void Dockerignore_keeps_build_output_out_of_the_image_context()
    {
        var patterns = Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToList();

        Assert.Contains("**/bin/", patterns);
        Assert.Contains("**/obj/", patterns);
        Assert.Contains(".local-cluster/", patterns);
    }

    [Fact]
    public void Local_cluster_script_is_valid_bash_and_uses_the_defaults()
    {
        var path = Path.Combine(Root, "deploy", "local-cluster.sh");
        var script = File.ReadAllText(path);

        var check = Process.Start(new ProcessStartInfo("bash", ["-n", path]) { RedirectStandardError = true })!;
        var errors = check.StandardError.ReadToEnd();
        check.WaitForExit();
        Assert.True(check.ExitCode == 0, errors);

        Assert.StartsWith("#!/usr/bin/env bash", script, StringComparison.Ordinal);
        Assert.Contains("set -euo pipefail", script, StringComparison.Ordinal);
        Assert.Contains($"BATON_LOCAL_HTTP_PORT:-{HttpPort}", script, StringComparison.Ordinal);
        Assert.Contains($"BATON_LOCAL_SILO_PORT:-{Defaults.SiloPort}", script, StringComparison.Ordinal);
        Assert.Contains($"BATON_LOCAL_GATEWAY_PORT:-{Defaults.GatewayPort}", script, StringComparison.Ordinal);
        Assert.Contains(HealthPath, script, StringComparison.Ordinal);
        Assert.DoesNotContain("pkill", script, StringComparison.Ordinal);
        Assert.DoesNotContain("killall", script, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), "local-cluster.sh is not executable");
        }
    }

    // ---------------------------------------------------------------- configuration keys

    /// <summary>Why an environment key binds to nothing in <see cref="BatonOptions"/>, or null when it names a setting.</summary>
    private static string? OptionPathError(string key)
    {
        var segments = key.Split("__");
        if (!string.Equals(segments[0], BatonOptions.Section, StringComparison.OrdinalIgnoreCase))
        {
            return $"{key}: not in the {BatonOptions.Section} section";
        }

        var type = typeof(BatonOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (ListElement(type) is { } element)
            {
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return $"{key}: '{segment}' is not a list index";
                }

                type = element;
                continue;
            }

            if (IsValue(type))
            {
                return $"{key}: '{segment}' is below a value";
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || (!property.CanWrite && ListElement(property.PropertyType) is null))
            {
                return $"{key}: {type.Name} has no settable property '{segment}'";
            }

            type = property.PropertyType;
        }

        return IsValue(type) ? null : $"{key}: names a {type.Name}, not a value";
    }

    private static Type? ListElement(Type type)
        => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private static bool IsValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);
    }

    private static BatonOptions Bind(IReadOnlyDictionary<string, string> environment)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
            .Build();
        return BatonOptionsValidator.BindAndValidate(configuration);
    }

    private static bool IsSecretName(string name)
        => Regex.IsMatch(name, @"(?i)(key|password|secret|token)$") || name.Equals("Baton__Postgres", StringComparison.Ordinal);

    private static bool LooksLikeKey(string value)
        => Regex.IsMatch(value, @"^[A-Za-z0-9+/=_-]{24,}$")
            && value.Any(char.IsDigit) && value.Any(char.IsLetter)
            && !value.Contains("__", StringComparison.Ordinal);

    private static (string Secret, string Key) SecretKeyRef(IDictionary<object, object?> envEntry)
    {
        var reference = Get(Get(envEntry, "valueFrom"), "secretKeyRef");
        Assert.NotNull(reference);
        return (Str(Get(reference, "name")), Str(Get(reference, "key")));
    }

    // ---------------------------------------------------------------- reading the files

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Orleans.sln above {AppContext.BaseDirectory}.");
    }

    private static string Read(params string[] path) => File.ReadAllText(Path.Combine([Root, .. path]));

    private static List<object?> Documents(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        // MergingParser resolves the `<<: *anchor` merge keys that compose files use.
        var parser = new MergingParser(new Parser(new StringReader(File.ReadAllText(path))));
        parser.Consume<StreamStart>();
        var documents = new List<object?>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<object?>(parser));
        }

        return documents;
    }

    private static object? Compose() => Assert.Single(Documents(Path.Combine(Root, "docker-compose.yml")));

    private static IEnumerable<(string Name, string Value)> ComposeEnvironment()
        => Map(Get(Compose(), "services")).Values
            .Select(s => Get(s, "environment"))
            .OfType<object>()
            .SelectMany(e => Map(e).Select(v => (Str(v.Key), Str(v.Value))));

    /// <summary>Every manifest kustomization.yaml applies.</summary>
    private static List<object?> Manifests()
    {
        var folder = Path.Combine(Root, "deploy", "k8s");
        var kustomization = Assert.Single(Documents(Path.Combine(folder, "kustomization.yaml")));
        return Seq(Get(kustomization, "resources")).SelectMany(r => Documents(Path.Combine(folder, Str(r)))).ToList();
    }

    private static object? Manifest(string kind) => Assert.Single(Manifests(), m => Kind(m) == kind);

    private static object? SiloContainer()
        => Assert.Single(Seq(Get(Get(Get(Get(Manifest("StatefulSet"), "spec"), "template"), "spec"), "containers")));

    private static string? Kind(object? manifest) => Get(manifest, "kind") as string;

    private static List<(string Instruction, string Arguments)> DockerfileInstructions()
    {
        var logical = Regex.Replace(Read("deploy", "Dockerfile"), @"\\\r?\n", " ");
        return logical.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => Regex.Match(l, @"^(\w+)\s+(.*)$"))
            .Where(m => m.Success)
            .Select(m => (m.Groups[1].Value.ToUpperInvariant(), Regex.Replace(m.Groups[2].Value, @"\s+", " ").Trim()))
            .ToList();
    }

    private static IEnumerable<string> Scalars(object? node) => node switch
    {
        string s => [s],
        IDictionary<object, object?> map => map.SelectMany(e => Scalars(e.Key).Concat(Scalars(e.Value))),
        IList<object?> list => list.SelectMany(Scalars),
        _ => [],
    };

    private static IDictionary<object, object?> Map(object? node) => Assert.IsAssignableFrom<IDictionary<object, object?>>(node);

    private static IList<object?> Seq(object? node) => Assert.IsAssignableFrom<IList<object?>>(node);

    private static object? Get(object? node, string key) => Map(node).TryGetValue(key, out var value) ? value : null;

    private static string Str(object? node) => Assert.IsType<string>(node);

    private static int Int(object? node) => int.Parse(Str(node), CultureInfo.InvariantCulture);
}
